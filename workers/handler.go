package workers

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
)

// Handler processes one event.
//
// Ack contract:
//
//   - nil: the returned events are published (chaining) and, once all of
//     them are stored, the input is acknowledged;
//   - an error for which errors.As finds an interface{ Permanent() bool }
//     whose Permanent() is true: the event is dead-lettered at once;
//   - any other error: the event is retried after the function's backoff
//     delay, or after the delay of an interface{ RetryAfter() time.Duration }
//     found with errors.As (capped by delivery.backoffMax); after the last
//     attempt it is dead-lettered.
//
// A panic is recovered and counts as a retryable error. ctx carries the
// function's timeout and is cancelled when the worker gives up on the event
// (shutdown timeout); a handler should return promptly then.
//
// e is the decoded event itself, not a copy: the handler owns it and may
// change it or return it; the worker reads what it needs of the input
// (id, source, correlation id) before the call.
type Handler interface {
	Handle(ctx context.Context, e event.Event) ([]event.Event, error)
}

// Options tunes a Worker. The zero value is usable.
type Options struct {
	// Log receives the worker's logs; nil discards them.
	Log *slog.Logger
	// Replica identifies this replica in logs and metrics. Default
	// "<hostname>-<pid>".
	Replica string
	// ShutdownTimeout bounds the drain when Run's context ends: handlers
	// still running after it are cancelled and their events released for
	// redelivery. Default 30s.
	ShutdownTimeout time.Duration
	// Hooks are observation points for tracing and metrics.
	Hooks Hooks
}

// Outcomes reported to Hooks.Deliver.
const (
	// OutcomeOK: handled, outputs stored, input acknowledged.
	OutcomeOK = "ok"
	// OutcomeRetry: the event will be delivered again (handler error, failed
	// publish or ack, shutdown).
	OutcomeRetry = "retry"
	// OutcomeDeadLetter: the event was dead-lettered (or terminated when the
	// function has no dead letters).
	OutcomeDeadLetter = "deadletter"
	// OutcomeFiltered: the function's filters rejected the event; it was
	// acknowledged without calling the handler.
	OutcomeFiltered = "filtered"
)

// Hooks lets telemetry observe each delivery without the workers package
// depending on it.
type Hooks struct {
	// Deliver wraps the processing of one message. It is called with the
	// message's headers (to continue the trace), the decoded event (nil when
	// the message could not be decoded) and the delivery attempt (1 for the
	// first), and returns the context the handler runs in and a function
	// called once with the outcome (one of the Outcome constants) and the
	// error, if any. Either return value may be nil. MessageFrom(ctx) gives
	// the stream, sequence and subject of the message.
	Deliver func(ctx context.Context, fn string, msgHeaders nats.Header, e *event.Event, attempt uint64) (context.Context, func(outcome string, err error))
}

// permanent reports whether err asks not to be retried.
func permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// retryAfter returns the delay err asks for, if any.
func retryAfter(err error) (time.Duration, bool) {
	var r interface{ RetryAfter() time.Duration }
	if errors.As(err, &r) {
		return r.RetryAfter(), true
	}
	return 0, false
}

// permanentError marks an error of the worker itself as permanent.
type permanentError struct{ error }

func (p permanentError) Permanent() bool { return true }
func (p permanentError) Unwrap() error   { return p.error }
