package telemetry_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/telemetry"
)

// recorded builds a Telemetry recording every span in memory.
func recorded(t testing.TB) (*telemetry.Telemetry, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	tel, err := telemetry.NewForTest(tp, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()); _ = tp.Shutdown(context.Background()) })
	return tel, rec
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestBeforePublishAndDeliverLinkThroughHeaders(t *testing.T) {
	tel, rec := recorded(t)
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), remoteParent(t))
	e := testEvent("e-1")
	e.SetSubject("order-7")
	msg := nats.NewMsg("events.com.example.order.created")
	msg.Header.Set(nats.MsgIdHdr, "dedup-1")
	msg.Data = []byte(`{"n":1}`)
	_, end := tel.BeforePublish(ctx, e, msg)
	end(nil)

	if msg.Header.Get("traceparent") == "" {
		t.Fatal("no traceparent header injected")
	}
	if got, want := msg.Header.Get("ce-traceparent"), msg.Header.Get("traceparent"); got != want {
		t.Errorf("ce-traceparent = %q, want the producer's %q", got, want)
	}

	dctx, done := tel.Deliver(context.Background(), "fulfil", msg.Header, e, 1)
	done("ok", nil)
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	send, process := spans[0], spans[1]
	if send.Name() != "send events.com.example.order.created" || send.SpanKind() != trace.SpanKindProducer {
		t.Errorf("producer span %q %v", send.Name(), send.SpanKind())
	}
	if send.Parent().SpanID() != remoteParent(t).SpanID() {
		t.Errorf("producer parent %s, want the caller's span", send.Parent().SpanID())
	}
	if process.Name() != "process fulfil" || process.SpanKind() != trace.SpanKindConsumer {
		t.Errorf("consumer span %q %v", process.Name(), process.SpanKind())
	}
	if process.Parent().SpanID() != send.SpanContext().SpanID() || process.SpanContext().TraceID() != remoteParent(t).TraceID() {
		t.Errorf("consumer span is not a child of the producer span")
	}
	if trace.SpanContextFromContext(dctx).SpanID() != process.SpanContext().SpanID() {
		t.Errorf("Deliver's context does not carry the process span")
	}

	wantSend := map[attribute.Key]string{
		"messaging.system": "nats", "messaging.operation.type": "send", "messaging.operation.name": "send",
		"messaging.destination.name": "events.com.example.order.created", "messaging.message.id": "dedup-1",
		"cloudevents.event_id": "e-1", "cloudevents.event_source": "/test",
		"cloudevents.event_type": "com.example.order.created", "cloudevents.event_subject": "order-7",
	}
	checkAttrs(t, send, wantSend)
	if v := attrs(send)["messaging.message.body.size"]; v.AsInt64() != 7 {
		t.Errorf("messaging.message.body.size = %v, want 7", v.Emit())
	}
	wantProcess := map[attribute.Key]string{
		"messaging.system": "nats", "messaging.operation.type": "process", "messaging.consumer.group.name": "fulfil",
		"messaging.message.id": "dedup-1", "cloudevents.event_id": "e-1", "fnmesh.outcome": "ok",
	}
	checkAttrs(t, process, wantProcess)
}

func checkAttrs(t *testing.T, s sdktrace.ReadOnlySpan, want map[attribute.Key]string) {
	t.Helper()
	got := attrs(s)
	for k, v := range want {
		if got[k].Emit() != v {
			t.Errorf("%s: %s = %q, want %q", s.Name(), k, got[k].Emit(), v)
		}
	}
}

func TestBeforePublishKeepsTheStartingTrace(t *testing.T) {
	tel, _ := recorded(t)
	const starting = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	msg := nats.NewMsg("events.x")
	msg.Header.Set("ce-traceparent", starting)
	_, end := tel.BeforePublish(context.Background(), testEvent("e-1"), msg)
	end(nil)
	if got := msg.Header.Get("ce-traceparent"); got != starting {
		t.Errorf("ce-traceparent = %q, want the event's own %q", got, starting)
	}
	if msg.Header.Get("traceparent") == starting {
		t.Error("traceparent not replaced by the producer span")
	}
}

func TestDeliverFallsBackToTheEventTraceparent(t *testing.T) {
	tel, rec := recorded(t)
	h := nats.Header{}
	h.Set("ce-traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	_, done := tel.Deliver(context.Background(), "fulfil", h, testEvent("e-1"), 1)
	done("ok", nil)
	s := rec.Ended()[0]
	if got := s.Parent().TraceID().String(); got != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("trace id %s, want the one of ce-traceparent", got)
	}
}

func TestDeliverOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		attempt    uint64
		outcome    string
		err        error
		wantStatus codes.Code
		wantEvent  bool
	}{
		{name: "first attempt ok", attempt: 1, outcome: "ok", wantStatus: codes.Unset},
		{name: "retry", attempt: 1, outcome: "retry", err: errors.New("boom"), wantStatus: codes.Error},
		{name: "second attempt", attempt: 2, outcome: "ok", wantStatus: codes.Unset, wantEvent: true},
		{name: "dead letter", attempt: 4, outcome: "deadletter", err: errors.New("gave up"), wantStatus: codes.Error, wantEvent: true},
		{name: "filtered", attempt: 1, outcome: "filtered", wantStatus: codes.Unset},
		{name: "undecodable", attempt: 1, outcome: "deadletter", err: errors.New("not an event"), wantStatus: codes.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel, rec := recorded(t)
			e := testEvent("e-1")
			if tt.name == "undecodable" {
				e = nil
			}
			_, done := tel.Deliver(context.Background(), "fulfil", nil, e, tt.attempt)
			done(tt.outcome, tt.err)
			s := rec.Ended()[0]
			if s.Status().Code != tt.wantStatus {
				t.Errorf("status %v, want %v", s.Status().Code, tt.wantStatus)
			}
			a := attrs(s)
			if a["fnmesh.outcome"].AsString() != tt.outcome {
				t.Errorf("fnmesh.outcome = %q, want %q", a["fnmesh.outcome"].AsString(), tt.outcome)
			}
			if a["messaging.nats.delivery.attempt"].AsInt64() != int64(tt.attempt) {
				t.Errorf("attempt attribute = %d, want %d", a["messaging.nats.delivery.attempt"].AsInt64(), tt.attempt)
			}
			var sawAttempt bool
			for _, ev := range s.Events() {
				sawAttempt = sawAttempt || ev.Name == "attempt"
			}
			if sawAttempt != tt.wantEvent {
				t.Errorf("attempt span event present = %v, want %v", sawAttempt, tt.wantEvent)
			}
			if et, ok := a["error.type"]; ok != (tt.err != nil) || (ok && et.AsString() != "*errors.errorString") {
				t.Errorf("error.type = %q (present %v), want *errors.errorString on a failed span only", et.AsString(), ok)
			}
			if _, ok := a["cloudevents.event_id"]; ok == (e == nil) {
				t.Errorf("cloudevents.event_id present = %v for event %v", ok, e != nil)
			}
		})
	}
}

func TestHTTPSpanNamedAfterTheRoute(t *testing.T) {
	tests := []struct {
		name      string
		pattern   string
		method    string
		path      string
		status    int
		wantName  string
		wantRoute string
		wantError bool
	}{
		{name: "path pattern", pattern: "/events", method: "POST", path: "/events", status: 202, wantName: "POST /events", wantRoute: "/events"},
		{name: "method pattern", pattern: "GET /metrics", method: "GET", path: "/metrics", status: 200, wantName: "GET /metrics", wantRoute: "/metrics"},
		{name: "host pattern", pattern: "POST example.com/hooks/{provider}", method: "POST", path: "/hooks/github", status: 401, wantName: "POST /hooks/{provider}", wantRoute: "/hooks/{provider}"},
		{name: "exact slash", pattern: "/orders/{$}", method: "POST", path: "/orders/", status: 503, wantName: "POST /orders/{$}", wantRoute: "/orders/{$}", wantError: true},
		{name: "no match", pattern: "/events", method: "GET", path: "/nothing", status: 404, wantName: "GET unmatched", wantRoute: "unmatched"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel, rec := recorded(t)
			mux := http.NewServeMux()
			mux.HandleFunc(tt.pattern, func(w http.ResponseWriter, r *http.Request) {
				if !trace.SpanContextFromContext(r.Context()).IsValid() {
					t.Error("handler context has no span")
				}
				w.WriteHeader(tt.status)
			})
			srv := httptest.NewServer(tel.HTTP(mux))
			defer srv.Close()
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = "example.com"
			req.Header.Set("traceparent", traceparentOf(remoteParent(t)))
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status && tt.wantRoute != "unmatched" {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			s := spans[0]
			if s.Name() != tt.wantName || s.SpanKind() != trace.SpanKindServer {
				t.Errorf("span %q %v, want %q server", s.Name(), s.SpanKind(), tt.wantName)
			}
			if s.Parent().SpanID() != remoteParent(t).SpanID() || s.SpanContext().TraceID() != remoteParent(t).TraceID() {
				t.Error("server span does not continue the caller's traceparent")
			}
			checkAttrs(t, s, map[attribute.Key]string{"http.route": tt.wantRoute, "http.request.method": tt.method, "url.path": tt.path})
			if (s.Status().Code == codes.Error) != tt.wantError {
				t.Errorf("status %v, want error %v", s.Status().Code, tt.wantError)
			}
		})
	}
}

func TestHTTPEndsTheSpanOfAPanickingHandler(t *testing.T) {
	tel, rec := recorded(t)
	h := tel.HTTP(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	func() {
		defer func() { _ = recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/events", nil))
	}()
	if n := len(rec.Ended()); n != 1 {
		t.Fatalf("%d spans ended, want 1", n)
	}
}

func TestStartTickIsARootSpan(t *testing.T) {
	tel, rec := recorded(t)
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), remoteParent(t))
	tctx, end := tel.StartTick(ctx, "nightly", mustTime(t, "2026-03-29T02:00:00Z"))
	msg := nats.NewMsg("events.report")
	_, sent := tel.BeforePublish(tctx, testEvent("nightly/2026-03-29T02:00:00Z"), msg)
	sent(nil)
	end(nil)
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	send, tick := spans[0], spans[1]
	if tick.Name() != "cron nightly" || tick.Parent().IsValid() {
		t.Errorf("tick span %q with parent %v, want a root span \"cron nightly\"", tick.Name(), tick.Parent().IsValid())
	}
	if tick.SpanContext().TraceID() == remoteParent(t).TraceID() {
		t.Error("tick span joined the context's trace; a tick starts its own")
	}
	if send.Parent().SpanID() != tick.SpanContext().SpanID() {
		t.Error("the tick's producer span is not its child")
	}
	checkAttrs(t, tick, map[attribute.Key]string{"fnmesh.trigger": "nightly", "fnmesh.cron.tick": "2026-03-29T02:00:00Z"})
}

func TestDeliverPrefersTheHopOverTheStartingTrace(t *testing.T) {
	tel, rec := recorded(t)
	h := nats.Header{}
	h.Set("traceparent", traceparentOf(remoteParent(t)))
	h.Set("ce-traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	_, done := tel.Deliver(context.Background(), "fulfil", h, testEvent("e-1"), 1)
	done("ok", nil)
	if p := rec.Ended()[0].Parent(); p.SpanID() != remoteParent(t).SpanID() {
		t.Errorf("parent %s, want the producer span of the hop (traceparent header) %s", p.SpanID(), remoteParent(t).SpanID())
	}
}

func TestHTTPLeavesUntracedRequestsAlone(t *testing.T) {
	tel, rec := recorded(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("POST /metrics", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {})
	h := tel.HTTP(mux, "GET /metrics", "GET /livez")
	for _, req := range []struct{ method, path string }{{"GET", "/metrics"}, {"GET", "/livez"}, {"POST", "/metrics"}, {"GET", "/metrics/"}} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.path, nil))
	}
	var names []string
	for _, s := range rec.Ended() {
		names = append(names, s.Name())
	}
	if want := []string{"POST /metrics", "GET unmatched"}; !slices.Equal(names, want) {
		t.Errorf("spans %q, want %q", names, want)
	}
}

// An event Replay or Redrive sent again carries the original's
// traceparent as replaytraceparent: its process span links to that trace.
func TestDeliverLinksAReplayToTheOriginalTrace(t *testing.T) {
	tel, rec := recorded(t)
	const orig = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	e := testEvent("e-1")
	e.SetExtension(broker.ExtReplayTraceParent, orig)
	_, done := tel.Deliver(context.Background(), "fulfil", nats.Header{}, e, 1)
	done("ok", nil)
	links := rec.Ended()[0].Links()
	if len(links) != 1 || links[0].SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || links[0].SpanContext.SpanID().String() != "00f067aa0ba902b7" {
		t.Fatalf("links = %+v, want one to the original span", links)
	}
	if got := links[0].Attributes; len(got) != 1 || got[0].Value.AsString() != "replay" {
		t.Errorf("link attributes = %v, want fnmesh.link.kind=replay", got)
	}
	// A malformed value is no link, and no failure.
	e.SetExtension(broker.ExtReplayTraceParent, "00-zz")
	_, done = tel.Deliver(context.Background(), "fulfil", nats.Header{}, e, 1)
	done("ok", nil)
	if links := rec.Ended()[1].Links(); len(links) != 0 {
		t.Errorf("malformed replaytraceparent: links = %+v, want none", links)
	}
}
