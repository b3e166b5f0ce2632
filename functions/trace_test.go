//go:build unix

package functions

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// parentSpan starts a recorded span (the delivery's process span in a
// worker), child of a remote caller with tracestate ts, and returns its
// context and the recorder.
func parentSpan(t *testing.T, ts string) (context.Context, trace.Span, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	state, err := trace.ParseTraceState(ts)
	if err != nil {
		t.Fatal(err)
	}
	caller := ContextFromTraceparent(t, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	caller = trace.ContextWithRemoteSpanContext(caller, trace.SpanContextFromContext(caller).WithTraceState(state))
	ctx, span := tp.Tracer("test").Start(caller, "process f")
	return ctx, span, rec
}

func TestHTTPAdapterSendsTraceparentAndAClientSpan(t *testing.T) {
	got := make(chan http.Header, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	ctx, parent, rec := parentSpan(t, "fnmesh=t1")
	if _, err := NewHTTPAdapter(srv.URL, nil).Handle(ctx, testEvent(t, "evt-1")); err != nil {
		t.Fatal(err)
	}
	parent.End()
	h := <-got
	var client sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanKind() == trace.SpanKindClient {
			client = s
		}
	}
	if client == nil {
		t.Fatalf("no client span among %d ended spans", len(rec.Ended()))
	}
	if client.Parent().SpanID() != parent.SpanContext().SpanID() || client.SpanContext().TraceID() != parent.SpanContext().TraceID() {
		t.Errorf("client span %v is not a child of the process span %v", client.Parent(), parent.SpanContext())
	}
	want := "00-" + client.SpanContext().TraceID().String() + "-" + client.SpanContext().SpanID().String() + "-01"
	if tp := h.Get("Traceparent"); tp != want {
		t.Errorf("traceparent = %q, want %q (the client span)", tp, want)
	}
	if ts := h.Get("Tracestate"); ts != "fnmesh=t1" {
		t.Errorf("tracestate = %q, want fnmesh=t1", ts)
	}
	attrs := map[attribute.Key]string{}
	for _, kv := range client.Attributes() {
		attrs[kv.Key] = kv.Value.Emit()
	}
	if client.Name() != "POST" || attrs["http.request.method"] != "POST" || attrs["http.response.status_code"] != "200" {
		t.Errorf("client span %q attributes = %v", client.Name(), attrs)
	}
}

func TestHTTPAdapterFailedRequestSpanHasErrorType(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer srv.Close()
	ctx, parent, rec := parentSpan(t, "")
	if _, err := NewHTTPAdapter(srv.URL, nil).Handle(ctx, testEvent(t, "evt-1")); err == nil {
		t.Fatal("Handle of a 503 = nil error")
	}
	parent.End()
	clients := 0
	for _, s := range rec.Ended() {
		if s.SpanKind() != trace.SpanKindClient {
			continue
		}
		clients++
		found := false
		for _, kv := range s.Attributes() {
			found = found || kv.Key == "error.type" && kv.Value.AsString() == "503"
		}
		if !found {
			t.Errorf("client span of a 503 has no error.type=503: %v", s.Attributes())
		}
	}
	if clients != 1 {
		t.Errorf("%d client spans, want 1", clients)
	}
}

func TestHTTPAdapterPassesTheTraceOnWithTracingOff(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Traceparent")
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	ctx := ContextFromTraceparent(t, tp)
	if _, err := NewHTTPAdapter(srv.URL, nil).Handle(ctx, testEvent(t, "evt-1")); err != nil {
		t.Fatal(err)
	}
	if h := <-got; h != tp {
		t.Errorf("traceparent = %q, want the caller's %q unchanged", h, tp)
	}
}

// ContextFromTraceparent is a context holding the remote span context of
// a traceparent, and no recording span.
func ContextFromTraceparent(t *testing.T, tp string) context.Context {
	t.Helper()
	parts := strings.Split(tp, "-")
	tid, _ := trace.TraceIDFromHex(parts[1])
	sid, _ := trace.SpanIDFromHex(parts[2])
	return trace.ContextWithRemoteSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true}))
}

func TestExecAdapterSetsTraceparent(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "trace")
	argv := []string{"/bin/sh", "-c", `printf '%s %s\n' "$TRACEPARENT" "$TRACESTATE" > "$OUT"`}
	// An inherited TRACEPARENT is not the event's trace: it is replaced.
	env := []string{"PATH=" + os.Getenv("PATH"), "OUT=" + out, "TRACEPARENT=00-11111111111111111111111111111111-1111111111111111-01"}
	ctx, parent, _ := parentSpan(t, "k=v")
	defer parent.End()
	if _, err := NewExecAdapter(argv, "", env).Handle(ctx, testEvent(t, "evt-1")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sc := parent.SpanContext()
	want := "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-01 k=v\n"
	if string(b) != want {
		t.Errorf("TRACEPARENT TRACESTATE = %q, want %q", b, want)
	}

	// Without a trace, no TRACEPARENT at all.
	if _, err := NewExecAdapter(argv, "", env).Handle(context.Background(), testEvent(t, "evt-2")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != " \n" {
		t.Errorf("TRACEPARENT TRACESTATE without a trace = %q, want empty", b)
	}
}
