package schemas

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func testRegistry(t testing.TB) *Registry {
	t.Helper()
	r, err := NewRegistry(map[string]string{
		"com.example.order.created": filepath.Join("testdata", "order.schema.json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRegistryValidate(t *testing.T) {
	r := testRegistry(t)
	tests := []struct {
		name      string
		eventType string
		data      string
		problems  []string // "path: message" substrings, in order
	}{
		{name: "valid", eventType: "com.example.order.created", data: `{"id":"o1","items":[{"sku":"a","qty":2}]}`},
		{name: "valid with ref", eventType: "com.example.order.created", data: `{"id":"o1","customer":{"email":"a@b"},"items":[{"sku":"a","qty":1}]}`},
		{name: "no schema for type", eventType: "com.example.other", data: `not even json`},
		{name: "minimum", eventType: "com.example.order.created", data: `{"id":"o1","items":[{"sku":"a","qty":0}]}`,
			problems: []string{"/items/0/qty: minimum"}},
		{name: "several", eventType: "com.example.order.created", data: `{"items":[{"sku":"a","qty":1},{"sku":1,"qty":1,"x":true}]}`,
			problems: []string{"/: missing property 'id'", "/items/1", "/items/1/sku"}},
		{name: "ref failure", eventType: "com.example.order.created", data: `{"id":"o1","customer":{"email":"nope"},"items":[{"sku":"a","qty":1}]}`,
			problems: []string{"/customer/email"}},
		{name: "not json", eventType: "com.example.order.created", data: `{"id":`, problems: []string{"/: not valid JSON"}},
		{name: "empty data", eventType: "com.example.order.created", data: ``, problems: []string{"/: got null, want object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Validate(tt.eventType, []byte(tt.data))
			if len(tt.problems) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrDataInvalid) {
				t.Fatalf("Validate() = %v, want ErrDataInvalid", err)
			}
			var de *DataError
			if !errors.As(err, &de) || de.Type != tt.eventType {
				t.Fatalf("Validate() = %#v, want a *DataError for %s", err, tt.eventType)
			}
			rest := err.Error()
			for _, p := range tt.problems {
				i := strings.Index(rest, p)
				if i < 0 {
					t.Fatalf("error %q lacks %q (in order)", err, p)
				}
				rest = rest[i+len(p):]
			}
		})
	}
}

func TestNewRegistryErrors(t *testing.T) {
	tests := []struct {
		name string
		m    map[string]string
		want string
	}{
		{name: "missing file", m: map[string]string{"t": filepath.Join("testdata", "nope.json")}, want: "nope.json"},
		{name: "not json", m: map[string]string{"t": filepath.Join("testdata", "broken.schema.json")}, want: "broken.schema.json"},
		{name: "not a schema", m: map[string]string{"t": filepath.Join("testdata", "wrong.schema.json")}, want: "wrong.schema.json"},
		{name: "empty path", m: map[string]string{"t": ""}, want: "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRegistry(tt.m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewRegistry() = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

// FuzzRegistryValidate feeds arbitrary event data to Validate: it must never
// panic, and every failure must be a *DataError.
func FuzzRegistryValidate(f *testing.F) {
	r := testRegistry(f)
	f.Add([]byte(`{"id":"o1","items":[{"sku":"a","qty":2}]}`))
	f.Add([]byte(`{"id":"o1","items":[{"sku":"a","qty":1e400}]}`))
	f.Add([]byte(`[[[[[[]]]]]]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := r.Validate("com.example.order.created", data)
		var de *DataError
		if err != nil && (!errors.As(err, &de) || len(de.Problems) == 0) {
			t.Fatalf("Validate() = %v, want nil or a *DataError with problems", err)
		}
	})
}
