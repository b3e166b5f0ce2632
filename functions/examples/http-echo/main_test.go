package main

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/functions"
)

// TestEcho drives the example through the SDK's HTTP adapter, as a worker
// would.
func TestEcho(t *testing.T) {
	srv := httptest.NewServer(newHandler())
	defer srv.Close()
	h := functions.NewHTTPAdapter(srv.URL, srv.Client())

	in := event.New()
	in.SetID("order 1") // a space: percent-encoded on the wire
	in.SetSource("/shop/api")
	in.SetType("com.example.order.created")
	in.SetSubject("Straße 7")
	if err := in.SetData(event.ApplicationJSON, map[string]string{"orderId": "A-1"}); err != nil {
		t.Fatal(err)
	}
	out, err := h.Handle(context.Background(), in)
	if err != nil || len(out) != 1 {
		t.Fatalf("Handle = %v, %v; want one echoed event", out, err)
	}
	e := out[0]
	checks := []struct{ name, got, want string }{
		{"type", e.Type(), "com.example.echoed"},
		{"id", e.ID(), "echo-order 1"},
		{"source", e.Source(), "/examples/http-echo"},
		{"subject", e.Subject(), "Straße 7"},
		{"datacontenttype", e.DataContentType(), event.ApplicationJSON},
		{"data", string(e.Data()), `{"orderId":"A-1"}`},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

// TestEchoRejectsNonEvents: a request that is not a binary-mode event is a
// 400, which the adapter treats as permanent.
func TestEchoRejectsNonEvents(t *testing.T) {
	srv := httptest.NewServer(newHandler())
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("status = %d, want 400", resp.StatusCode)
	}
}
