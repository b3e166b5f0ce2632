package history

import (
	"context"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnmesh/fnmesh/workers"
)

// Hooks returns next with a Deliver hook that also records every attempt
// with r; replica names the replica in the records. Deliveries the
// function's filters rejected (workers.OutcomeFiltered) are not recorded:
// they are no attempt, and every event a redrive or replay sends to one
// function would otherwise leave a record for each other function.
func Hooks(r *Recorder, replica string, next workers.Hooks) workers.Hooks {
	if r == nil {
		return next
	}
	inner := next.Deliver
	next.Deliver = func(ctx context.Context, fn string, h nats.Header, e *event.Event, attempt uint64) (context.Context, func(string, error)) {
		start := time.Now()
		var innerDone func(string, error)
		hctx := ctx
		if inner != nil {
			c, f := inner(ctx, fn, h, e, attempt)
			if c != nil {
				hctx = c
			}
			innerDone = f
		}
		done := func(outcome string, err error) {
			if innerDone != nil {
				innerDone(outcome, err)
			}
			if outcome == workers.OutcomeFiltered {
				return
			}
			rec := Record{Function: fn, Attempt: attempt, Outcome: outcome, Duration: Duration(time.Since(start)), Replica: replica, Time: start}
			if e != nil {
				rec.EventID, rec.Type, rec.Source = e.ID(), e.Type(), e.Source()
			}
			if m, ok := workers.MessageFrom(ctx); ok {
				rec.Stream, rec.Seq, rec.Subject = m.Stream, m.Seq, m.Subject
			}
			if err != nil {
				rec.Error = err.Error()
			}
			rec.TraceID = traceID(hctx, h)
			r.Record(rec)
		}
		return hctx, done
	}
	return next
}

// traceID is the trace of the delivery: the span ctx carries, else the
// trace id of the message's traceparent header.
func traceID(ctx context.Context, h nats.Header) string {
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		return sc.TraceID().String()
	}
	// traceparent: version-traceid-parentid-flags
	if tp := h.Get("traceparent"); len(tp) >= 55 && tp[2] == '-' && tp[35] == '-' {
		if id, err := trace.TraceIDFromHex(tp[3:35]); err == nil {
			return id.String()
		}
	}
	return ""
}
