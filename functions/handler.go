package functions

import (
	"context"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Handler processes one event.
//
// Ack contract: returning nil acknowledges the event; the returned events are
// published first (so a follow-up is never lost when the input is
// acknowledged) and the input is acknowledged after they are stored. Each
// returned event gets, unless already set, an id, the source
// "/fnmesh/functions/<function>", specversion 1.0 and the current time, and
// always the extensions causationid (the input's id) and correlationid (the
// input's correlationid, or its id).
//
// Returning an error does not acknowledge the event:
//
//   - an error for which IsPermanent is true (see Permanent) dead-letters the
//     event at once;
//   - an error carrying a delay (see RetryAfter) is retried after that delay,
//     capped by the function's delivery.backoffMax;
//   - any other error is retried with the function's backoff policy; after
//     the last attempt the event is dead-lettered.
//
// Delivery is at least once: a handler may see the same event again (after a
// crash, a lost ack or an expired ack wait) and should be idempotent, keyed on
// the event's source and id. ctx carries the deadline of the function's
// timeout and is cancelled when the worker gives up on the event.
//
// The method set is the same as the worker's handler, so any Handler can be
// given to the consume loop directly.
type Handler interface {
	Handle(ctx context.Context, e event.Event) ([]event.Event, error)
}

// HandlerFunc adapts an ordinary function to a Handler.
type HandlerFunc func(ctx context.Context, e event.Event) ([]event.Event, error)

// Handle calls f(ctx, e).
func (f HandlerFunc) Handle(ctx context.Context, e event.Event) ([]event.Event, error) {
	return f(ctx, e)
}

// Middleware decorates a Handler with behaviour that runs around it.
type Middleware func(Handler) Handler

// Chain wraps h with the middleware m. The first middleware is the outermost:
// Chain(h, a, b) handles an event as a(b(h)).
func Chain(h Handler, m ...Middleware) Handler {
	for i := len(m) - 1; i >= 0; i-- {
		if m[i] != nil {
			h = m[i](h)
		}
	}
	return h
}

var _ Handler = HandlerFunc(nil)
