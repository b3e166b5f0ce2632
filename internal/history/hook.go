package history

import (
	"context"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
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
	var sources sourceCache
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
				rec.EventID, rec.Type, rec.Source = e.ID(), e.Type(), sources.get(e)
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

// sourceCache keeps the string form of the last event source seen:
// formatting a URI allocates on every call, and the events of a function
// mostly share their source. It is safe for concurrent use.
type sourceCache struct{ last atomic.Pointer[cachedSource] }

type cachedSource struct {
	u url.URL
	s string
}

// get is e.Source().
func (c *sourceCache) get(e *event.Event) string {
	var u *types.URIRef
	switch ec := e.Context.(type) {
	case *event.EventContextV1:
		u = &ec.Source
	case *event.EventContextV03:
		u = &ec.Source
	default:
		return e.Source()
	}
	if last := c.last.Load(); last != nil && last.u == u.URL {
		return last.s // String is a function of the fields (User is immutable)
	}
	s := u.String()
	c.last.Store(&cachedSource{u: u.URL, s: s})
	return s
}
