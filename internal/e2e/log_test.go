package e2e

import (
	"context"
	"github.com/fnmesh/fnmesh/internal/logtest"
	"github.com/fnmesh/fnmesh/internal/poll"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/functions"
	"github.com/fnmesh/fnmesh/internal/telemetry"
)

// TestHandlerLogLinesCarryTheTraceID logs from inside a handler, directly
// and through the SDK's Logging middleware, with the handler's ctx: both
// lines carry the trace and span ids of the delivery's process span, in
// the trace the publisher started.
func TestHandlerLogLinesCarryTheTraceID(t *testing.T) {
	ms := newMesh(t, nil)
	var buf logtest.Buffer
	log, err := telemetry.NewLogger(&buf, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 1)
	h := functions.Chain(functions.HandlerFunc(func(ctx context.Context, e event.Event) ([]event.Event, error) {
		log.InfoContext(ctx, "charging card", "order", 42)
		done <- struct{}{}
		return nil, nil
	}), functions.Logging(log))
	ms.startWorker(t, function("charge", orderCreated, 3), h)

	ctx, root := ms.tel.Tracer.Start(context.Background(), "checkout")
	if _, err := ms.client(t).Publish(ctx, newEvent("order-9", orderCreated)); err != nil {
		t.Fatal(err)
	}
	root.End()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("handler not called")
	}
	poll.Until(t, 10*time.Second, "process span", func() bool {
		return len(indexTrace(ms.rec.Ended(), root.SpanContext().TraceID())["process charge"]) == 1
	})
	proc := indexTrace(ms.rec.Ended(), root.SpanContext().TraceID())["process charge"][0]

	lines := buf.Records(t)
	want := map[string]bool{"charging card": false, "event handled": false}
	for _, l := range lines {
		msg, _ := l["msg"].(string)
		if _, ok := want[msg]; !ok {
			continue
		}
		want[msg] = true
		if l["trace_id"] != root.SpanContext().TraceID().String() {
			t.Errorf("%q: trace_id %v, want %s", msg, l["trace_id"], root.SpanContext().TraceID())
		}
		if l["span_id"] != proc.SpanContext().SpanID().String() {
			t.Errorf("%q: span_id %v, want the process span's %s", msg, l["span_id"], proc.SpanContext().SpanID())
		}
	}
	for msg, seen := range want {
		if !seen {
			t.Errorf("no %q line in %v", msg, lines)
		}
	}
}
