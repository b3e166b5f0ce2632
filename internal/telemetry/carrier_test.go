package telemetry_test

import (
	"slices"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/internal/telemetry"
)

func TestHeaderCarrier(t *testing.T) {
	tests := []struct {
		name   string
		header nats.Header
		key    string
		want   string
	}{
		{name: "exact key", header: nats.Header{"traceparent": {"a"}}, key: "traceparent", want: "a"},
		{name: "other case", header: nats.Header{"Traceparent": {"b"}}, key: "traceparent", want: "b"},
		{name: "first value", header: nats.Header{"tracestate": {"x=1", "y=2"}}, key: "tracestate", want: "x=1"},
		{name: "empty values", header: nats.Header{"traceparent": {}}, key: "traceparent", want: ""},
		{name: "missing", header: nats.Header{"ce-id": {"1"}}, key: "traceparent", want: ""},
		{name: "nil header", header: nil, key: "traceparent", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := telemetry.HeaderCarrier(tt.header).Get(tt.key); got != tt.want {
				t.Errorf("Get(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestHeaderCarrierSetAndKeys(t *testing.T) {
	h := nats.Header{"ce-id": {"1"}}
	c := telemetry.HeaderCarrier(h)
	c.Set("traceparent", "one")
	c.Set("traceparent", "two")
	if got := h.Values("traceparent"); !slices.Equal(got, []string{"two"}) {
		t.Errorf("values after two Sets = %q, want [two]", got)
	}
	keys := c.Keys()
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"ce-id", "traceparent"}) {
		t.Errorf("Keys() = %q", keys)
	}
}
