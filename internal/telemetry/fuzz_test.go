package telemetry_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnmesh/fnmesh/internal/telemetry"
)

// FuzzDeliverHeaders feeds arbitrary trace headers, as any publisher on the
// NATS account can send them, to the delivery hook: it must not panic, and
// a trace it continues must be one the headers named.
func FuzzDeliverHeaders(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "", "", "")
	f.Add("", "congo=t61rcWkgMzE", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "k=v")
	f.Add("00-00000000000000000000000000000000-0000000000000000-01", "", "garbage", "")
	f.Add("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", strings.Repeat("a=b,", 100), "", "%%%")
	f.Fuzz(func(t *testing.T, traceparent, tracestate, ceTraceparent, baggage string) {
		tel, rec := recorded(t)
		h := nats.Header{}
		for k, v := range map[string]string{"traceparent": traceparent, "tracestate": tracestate, "ce-traceparent": ceTraceparent, "baggage": baggage} {
			if v != "" {
				h.Set(k, v)
			}
		}
		ctx, done := tel.Deliver(context.Background(), "fn", h, nil, 1)
		done("ok", nil)
		sc := trace.SpanContextFromContext(ctx)
		ended := rec.Ended()
		if sc.IsSampled() != (len(ended) == 1) {
			t.Fatalf("sampled %v but %d spans recorded", sc.IsSampled(), len(ended))
		}
		if len(ended) == 0 {
			return // the caller's trace is not sampled: nothing is recorded (parent-based sampling)
		}
		s := ended[0]
		if p := s.Parent(); p.IsValid() {
			tid := p.TraceID().String()
			if !strings.Contains(strings.ToLower(traceparent), tid) && !strings.Contains(strings.ToLower(ceTraceparent), tid) {
				t.Errorf("continued trace %s named by neither header (%q, %q)", tid, traceparent, ceTraceparent)
			}
		}
	})
}

// FuzzHTTPTraceparent sends arbitrary trace headers to the HTTP
// middleware: it must not panic, and it records one server span unless the
// caller's trace is valid and not sampled.
func FuzzHTTPTraceparent(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "")
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "a=b")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, traceparent, tracestate string) {
		tel, rec := recorded(t)
		req := httptest.NewRequest(http.MethodPost, "/events", nil)
		req.Header["Traceparent"] = []string{traceparent}
		req.Header["Tracestate"] = []string{tracestate}
		incoming := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.HeaderCarrier(req.Header)))
		tel.HTTP(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), req)
		want := 1
		if incoming.IsValid() && !incoming.IsSampled() {
			want = 0
		}
		if n := len(rec.Ended()); n != want {
			t.Fatalf("%d spans recorded, want %d (incoming %v sampled %v)", n, want, incoming.IsValid(), incoming.IsSampled())
		}
	})
}

// FuzzNewLogger checks that any level and format either build a logger or
// fail with an error naming the setting.
func FuzzNewLogger(f *testing.F) {
	for _, s := range [][2]string{{"info", "text"}, {"DEBUG", "JSON"}, {"warn+2", ""}, {"loud", "xml"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, level, format string) {
		log, err := telemetry.NewLogger(&bytes.Buffer{}, level, format)
		if err != nil {
			if !strings.Contains(err.Error(), "FNMESH_LOG_LEVEL") && !strings.Contains(err.Error(), "FNMESH_LOG_FORMAT") {
				t.Errorf("error %q names neither the level nor the format", err)
			}
			return
		}
		log.Error("x")
	})
}
