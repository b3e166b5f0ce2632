package endpoint_test

import (
	"fmt"
	"testing"

	"github.com/fnmesh/fnmesh/triggers/endpoint"
)

func TestCheckPath(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{path: "/orders"},
		{path: "/hooks/github/"},
		{path: "/a/b-c_d.e"},
		{path: "", want: "required"},
		{path: "orders", want: "must start with '/'"},
		{path: "/orders/{id}", want: "must not contain white space or any of ?#{}%"},
		{path: "/a b", want: "must not contain white space or any of ?#{}%"},
		{path: "/a?b", want: "must not contain white space or any of ?#{}%"},
		{path: "/100%", want: "must not contain white space or any of ?#{}%"},
		{path: "/", want: "must not be the root path"},
		{path: "/a//b", want: "must be a clean path (no '//', '.' or '..' segments)"},
		{path: "/a/../b", want: "must be a clean path (no '//', '.' or '..' segments)"},
		{path: "/a/.", want: "must be a clean path (no '//', '.' or '..' segments)"},
	}
	for _, tt := range tests {
		err := endpoint.CheckPath(tt.path)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckPath(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestCheckMethod(t *testing.T) {
	for _, m := range endpoint.Methods() {
		if err := endpoint.CheckMethod(m); err != nil {
			t.Errorf("CheckMethod(%q) = %v", m, err)
		}
	}
	for _, m := range []string{"", "post", "HEAD", "PO ST", "OPTIONS"} {
		if err := endpoint.CheckMethod(m); err == nil || err.Error() != "must be one of DELETE, GET, PATCH, POST, PUT" {
			t.Errorf("CheckMethod(%q) = %v, want the list of methods", m, err)
		}
	}
}

func ExampleCheckPath() {
	for _, p := range []string{"/orders", "/orders/{id}", "orders"} {
		fmt.Printf("%s: %v\n", p, endpoint.CheckPath(p))
	}
	// Output:
	// /orders: <nil>
	// /orders/{id}: must not contain white space or any of ?#{}%
	// orders: must start with '/'
}
