package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
)

// TestPublishContinuesTheTraceOfItsEnvironment: `fnmesh publish` run by
// an exec function (which sets TRACEPARENT and TRACESTATE) sends that
// trace on, so the event it publishes joins the function's trace.
func TestPublishContinuesTheTraceOfItsEnvironment(t *testing.T) {
	for _, tt := range []struct {
		name, traceparent, tracestate string
		wantTP, wantTS                string
	}{
		{"with a trace", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "k=v", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "k=v"},
		{"invalid TRACEPARENT", "not-a-traceparent", "", "", ""},
		{"none", "", "", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TRACEPARENT", tt.traceparent)
			t.Setenv("TRACESTATE", tt.tracestate)
			got := make(chan http.Header, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got <- r.Header.Clone()
				w.WriteHeader(http.StatusAccepted)
			}))
			defer srv.Close()
			e := event.New()
			e.SetID("1")
			e.SetType("com.example.t")
			e.SetSource("/t")
			if _, err := publishHTTP(context.Background(), srv.URL, "", &e); err != nil {
				t.Fatal(err)
			}
			h := <-got
			if h.Get("Traceparent") != tt.wantTP || h.Get("Tracestate") != tt.wantTS {
				t.Errorf("traceparent %q tracestate %q, want %q %q", h.Get("Traceparent"), h.Get("Tracestate"), tt.wantTP, tt.wantTS)
			}
		})
	}
}
