package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/triggers"
	"github.com/fnmesh/fnmesh/workers"
)

const (
	orderCreated   = "com.example.order.created"
	orderFulfilled = "com.example.order.fulfilled"
)

// callerTraceparent is the trace context of a client that already traces.
const (
	callerTraceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpanID      = "00f067aa0ba902b7"
	callerTraceparent = "00-" + callerTraceID + "-" + callerSpanID + "-01"
)

// spanIndex finds the spans of one trace by name.
type spanIndex map[string][]sdktrace.ReadOnlySpan

func indexTrace(spans []sdktrace.ReadOnlySpan, tid trace.TraceID) spanIndex {
	idx := spanIndex{}
	for _, s := range spans {
		if s.SpanContext().TraceID() == tid {
			idx[s.Name()] = append(idx[s.Name()], s)
		}
	}
	return idx
}

func (idx spanIndex) count() int {
	n := 0
	for _, ss := range idx {
		n += len(ss)
	}
	return n
}

// one returns the only span called name.
func (idx spanIndex) one(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	ss := idx[name]
	if len(ss) != 1 {
		t.Fatalf("%d spans named %q in the trace, want 1 (trace: %v)", len(ss), name, idx.names())
	}
	return ss[0]
}

func (idx spanIndex) names() map[string]int {
	out := map[string]int{}
	for n, ss := range idx {
		out[n] = len(ss)
	}
	return out
}

func attrsOf(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func wantAttrs(t *testing.T, s sdktrace.ReadOnlySpan, want map[attribute.Key]string) {
	t.Helper()
	got := attrsOf(s)
	for k, v := range want {
		if g, ok := got[k]; !ok || g.Emit() != v {
			t.Errorf("span %q: %s = %q (set %v), want %q", s.Name(), k, g.Emit(), ok, v)
		}
	}
}

// TestOneTraceFromIngestThroughTwoFunctions follows one HTTP POST to the
// ingest endpoint through function A, whose returned event goes to
// function B, and checks that it forms one trace:
//
//	POST /events (server)
//	└─ send events.com.example.order.created (producer)
//	   └─ process A (consumer)
//	      └─ send events.com.example.order.fulfilled (producer)
//	         └─ process B (consumer)
func TestOneTraceFromIngestThroughTwoFunctions(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		// wantTrace is the trace id the spans must have; empty means a new
		// trace started at the server span.
		wantTrace string
	}{
		{name: "caller's trace is continued", header: http.Header{"Traceparent": {callerTraceparent}}, wantTrace: callerTraceID},
		{name: "new trace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := newMesh(t, nil)
			var extA atomic.Value // the traceparent extension A's input carried
			ms.startWorker(t, function("A", orderCreated, 3), handlerFunc(func(ctx context.Context, e event.Event) ([]event.Event, error) {
				if tp, ok := e.Extensions()["traceparent"].(string); ok {
					extA.Store(tp)
				}
				out := event.New()
				out.SetType(orderFulfilled)
				_ = out.SetData("application/json", map[string]int{"order": 42})
				return []event.Event{out}, nil
			}))
			handledB := make(chan event.Event, 1)
			ms.startWorker(t, function("B", orderFulfilled, 3), handlerFunc(func(ctx context.Context, e event.Event) ([]event.Event, error) {
				handledB <- e
				return nil, nil
			}))

			mux := http.NewServeMux()
			mux.Handle("POST /events", triggers.NewIngest(ms.client(t), triggers.IngestConfig{}))
			hs := httptest.NewServer(ms.tel.HTTP(mux))
			t.Cleanup(hs.Close)

			if st := postBinary(t, hs.URL+"/events", "order-42", orderCreated, tt.header); st != http.StatusAccepted {
				t.Fatalf("POST /events: %d, want 202", st)
			}
			var outB event.Event
			select {
			case outB = <-handledB:
			case <-time.After(20 * time.Second):
				t.Fatal("function B was not called")
			}
			// A process span ends once its event is acknowledged: A's may end
			// after B's (A acks after B could already take its output).
			waitFor(t, 10*time.Second, "process A and process B spans", func() bool {
				ended := map[string]bool{}
				for _, s := range ms.rec.Ended() {
					ended[s.Name()] = true
				}
				return ended["process A"] && ended["process B"]
			})

			server := findServerSpan(t, ms.rec.Ended())
			tid := server.SpanContext().TraceID()
			if tt.wantTrace != "" && tid.String() != tt.wantTrace {
				t.Fatalf("trace id %s, want the caller's %s", tid, tt.wantTrace)
			}
			idx := indexTrace(ms.rec.Ended(), tid)
			if idx.count() != 5 {
				t.Errorf("%d spans in the trace, want 5: %v", idx.count(), idx.names())
			}
			if n := len(ms.rec.Ended()); n != idx.count() {
				t.Errorf("%d spans recorded, %d of them in the trace: one request must make one trace", n, idx.count())
			}

			send1 := idx.one(t, "send events."+orderCreated)
			procA := idx.one(t, "process A")
			send2 := idx.one(t, "send events."+orderFulfilled)
			procB := idx.one(t, "process B")
			chain := []struct {
				span   sdktrace.ReadOnlySpan
				kind   trace.SpanKind
				parent sdktrace.ReadOnlySpan
			}{
				{server, trace.SpanKindServer, nil},
				{send1, trace.SpanKindProducer, server},
				{procA, trace.SpanKindConsumer, send1},
				{send2, trace.SpanKindProducer, procA},
				{procB, trace.SpanKindConsumer, send2},
			}
			for _, c := range chain {
				if c.span.SpanKind() != c.kind {
					t.Errorf("%q kind %v, want %v", c.span.Name(), c.span.SpanKind(), c.kind)
				}
				if c.span.Status().Code == codes.Error {
					t.Errorf("%q status error: %s", c.span.Name(), c.span.Status().Description)
				}
				switch {
				case c.parent != nil && c.span.Parent().SpanID() != c.parent.SpanContext().SpanID():
					t.Errorf("%q is not a child of %q", c.span.Name(), c.parent.Name())
				case c.parent == nil && tt.wantTrace != "" && c.span.Parent().SpanID().String() != callerSpanID:
					t.Errorf("server span's parent %s, want the caller's span %s", c.span.Parent().SpanID(), callerSpanID)
				case c.parent == nil && tt.wantTrace == "" && c.span.Parent().IsValid():
					t.Errorf("server span has parent %s without a caller's traceparent", c.span.Parent().SpanID())
				}
			}

			wantAttrs(t, server, map[attribute.Key]string{
				"http.request.method": "POST", "http.route": "/events", "http.response.status_code": "202",
			})
			inID := broker.DedupID("/shop/api", "order-42")
			wantAttrs(t, send1, map[attribute.Key]string{
				"messaging.system": "nats", "messaging.operation.type": "send",
				"messaging.destination.name": "events." + orderCreated, "messaging.message.id": inID,
				"cloudevents.event_id": "order-42", "cloudevents.event_source": "/shop/api", "cloudevents.event_type": orderCreated,
			})
			wantAttrs(t, procA, map[attribute.Key]string{
				"messaging.system": "nats", "messaging.operation.type": "process",
				"messaging.consumer.group.name": "A", "messaging.message.id": inID,
				"cloudevents.event_id": "order-42", "cloudevents.event_source": "/shop/api", "cloudevents.event_type": orderCreated,
				"messaging.nats.delivery.attempt": "1", "fnmesh.outcome": "ok",
			})
			outID := broker.DedupID(workers.SourcePrefix+"A", outB.ID())
			wantAttrs(t, send2, map[attribute.Key]string{
				"messaging.system": "nats", "messaging.operation.type": "send",
				"messaging.destination.name": "events." + orderFulfilled, "messaging.message.id": outID,
				"cloudevents.event_id": outB.ID(), "cloudevents.event_source": workers.SourcePrefix + "A",
				"cloudevents.event_type": orderFulfilled,
			})
			wantAttrs(t, procB, map[attribute.Key]string{
				"messaging.system": "nats", "messaging.operation.type": "process",
				"messaging.consumer.group.name": "B", "messaging.message.id": outID,
				"cloudevents.event_id": outB.ID(), "cloudevents.event_type": orderFulfilled, "fnmesh.outcome": "ok",
			})

			// The CloudEvents distributed tracing extension records where
			// each event started: A's input at the first producer span, B's
			// input at the second.
			if got, want := extA.Load(), traceparentOf(send1.SpanContext()); got != want {
				t.Errorf("A's event traceparent extension %v, want %s", got, want)
			}
			if got, want := outB.Extensions()["traceparent"], traceparentOf(send2.SpanContext()); got != want {
				t.Errorf("B's event traceparent extension %v, want %s", got, want)
			}
		})
	}
}

func findServerSpan(t *testing.T, spans []sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, s := range spans {
		if s.SpanKind() == trace.SpanKindServer {
			return s
		}
	}
	t.Fatal("no server span recorded")
	return nil
}

func traceparentOf(sc trace.SpanContext) string {
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(trace.ContextWithSpanContext(context.Background(), sc), c)
	return c["traceparent"]
}

// TestRetriesAreSiblingProcessSpans checks what a retried delivery looks
// like: one process span per attempt, all children of the producer span;
// the later ones carry the attempt number and an "attempt" span event. An
// event that keeps failing ends with a dead-letter producer span under its
// last attempt.
func TestRetriesAreSiblingProcessSpans(t *testing.T) {
	tests := []struct {
		name     string
		retry    int
		failures int // the handler fails this many times, then succeeds
		want     []string
		wantDLQ  bool
	}{
		{name: "fails once then succeeds", retry: 3, failures: 1, want: []string{"retry", "ok"}},
		{name: "fails until dead-lettered", retry: 1, failures: 100, want: []string{"retry", "deadletter"}, wantDLQ: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := newMesh(t, nil)
			var calls atomic.Int32
			ms.startWorker(t, function("C", orderCreated, tt.retry), handlerFunc(func(ctx context.Context, e event.Event) ([]event.Event, error) {
				if int(calls.Add(1)) <= tt.failures {
					return nil, errors.New("warehouse unreachable")
				}
				return nil, nil
			}))
			pub := ms.client(t)
			ctx, root := ms.tel.Tracer.Start(context.Background(), "test")
			if _, err := pub.Publish(ctx, newEvent("order-7", orderCreated)); err != nil {
				t.Fatal(err)
			}
			root.End()
			tid := root.SpanContext().TraceID()
			waitFor(t, 20*time.Second, "all attempts", func() bool {
				return len(indexTrace(ms.rec.Ended(), tid)["process C"]) == len(tt.want)
			})
			idx := indexTrace(ms.rec.Ended(), tid)
			send := idx.one(t, "send events."+orderCreated)
			procs := idx["process C"]
			for i, p := range procs {
				attempt := int64(i + 1)
				a := attrsOf(p)
				if got := a["messaging.nats.delivery.attempt"].AsInt64(); got != attempt {
					t.Errorf("process span %d: attempt attribute %d, want %d", i, got, attempt)
				}
				if got := a["fnmesh.outcome"].AsString(); got != tt.want[i] {
					t.Errorf("process span %d: outcome %q, want %q", i, got, tt.want[i])
				}
				if p.Parent().SpanID() != send.SpanContext().SpanID() {
					t.Errorf("process span %d is not a child of the producer span", i)
				}
				var event *sdktrace.Event
				for _, ev := range p.Events() {
					if ev.Name == "attempt" {
						event = &ev
					}
				}
				switch {
				case attempt == 1 && event != nil:
					t.Errorf("first attempt has an attempt span event")
				case attempt > 1 && event == nil:
					t.Errorf("attempt %d has no attempt span event", attempt)
				case attempt > 1 && len(event.Attributes) != 1 || attempt > 1 && event.Attributes[0].Value.AsInt64() != attempt:
					t.Errorf("attempt span event attributes %v, want attempt %d", event.Attributes, attempt)
				}
				if tt.want[i] != "ok" && p.Status().Code != codes.Error {
					t.Errorf("process span %d (%s) status %v, want error", i, tt.want[i], p.Status().Code)
				}
			}
			if tt.wantDLQ {
				waitFor(t, 10*time.Second, "dead-letter span", func() bool {
					return len(indexTrace(ms.rec.Ended(), tid)["send deadletter.C"]) == 1
				})
				dl := indexTrace(ms.rec.Ended(), tid).one(t, "send deadletter.C")
				if dl.Parent().SpanID() != procs[len(procs)-1].SpanContext().SpanID() || dl.SpanKind() != trace.SpanKindProducer {
					t.Errorf("dead-letter span is not a producer child of the last attempt")
				}
				wantAttrs(t, dl, map[attribute.Key]string{"cloudevents.event_id": "order-7", "messaging.destination.name": "deadletter.C"})
			}
		})
	}
}
