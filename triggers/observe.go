package triggers

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
)

// Observer is told about the events arriving at triggers, for metrics and
// tracing. *telemetry.Telemetry implements it.
type Observer interface {
	// CountReceived counts n events that arrived at trigger with outcome,
	// one of the Received* constants.
	CountReceived(ctx context.Context, trigger, outcome string, n int)
	// StartTick starts the root span of one cron tick; the tick's publish
	// runs in the returned context and end is called once with its result.
	StartTick(ctx context.Context, trigger string, tick time.Time) (context.Context, func(error))
}

// Outcomes passed to Observer.CountReceived.
const (
	// ReceivedAccepted: the event was stored.
	ReceivedAccepted = "accepted"
	// ReceivedDuplicate: the event had been stored before (same source and id).
	ReceivedDuplicate = "duplicate"
	// ReceivedRejected: the request or event was invalid (4xx).
	ReceivedRejected = "rejected"
	// ReceivedUnauthorized: a bad signature or token (401).
	ReceivedUnauthorized = "unauthorized"
	// ReceivedUnavailable: the broker was unreachable or busy (429, 503).
	ReceivedUnavailable = "unavailable"
	// ReceivedError: the publish failed for another reason.
	ReceivedError = "error"
)

// IngestTriggerName is the trigger label of the CloudEvents endpoint in
// Observer.CountReceived.
const IngestTriggerName = "ingest"

// publishedKey marks, in a request's context, that a counting publisher
// counted for this request.
type publishedKey struct{}

// observedPublisher counts every publish of one trigger by its outcome.
type observedPublisher struct {
	pub     EventPublisher
	obs     Observer
	trigger string
}

// Publish implements EventPublisher.
func (c observedPublisher) Publish(ctx context.Context, e *event.Event) (broker.Ack, error) {
	ack, err := c.pub.Publish(ctx, e)
	if p, ok := ctx.Value(publishedKey{}).(*atomic.Bool); ok {
		p.Store(true)
	}
	c.obs.CountReceived(ctx, c.trigger, publishOutcome(ack, err), 1)
	return ack, err
}

// publishOutcome names the result of one publish.
func publishOutcome(ack broker.Ack, err error) string {
	switch {
	case err == nil && ack.Duplicate:
		return ReceivedDuplicate
	case err == nil:
		return ReceivedAccepted
	case errors.Is(err, broker.ErrMalformedEvent), errors.Is(err, broker.ErrInvalidSubject):
		return ReceivedRejected
	case errors.Is(err, broker.ErrUnavailable), errors.Is(err, broker.ErrRejected), errors.Is(err, broker.ErrInProcess),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ReceivedUnavailable
	default:
		return ReceivedError
	}
}

// observedHandler counts the requests of one HTTP trigger that were
// answered without publishing anything (refused before the broker): each
// counts as one event, by status. Published events are counted by the
// trigger's observedPublisher.
type observedHandler struct {
	h       http.Handler
	obs     Observer
	trigger string
}

func (c observedHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var published atomic.Bool
	sw := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	c.h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), publishedKey{}, &published)))
	if published.Load() {
		return
	}
	if outcome, ok := refusedOutcome(sw.status); ok {
		c.obs.CountReceived(r.Context(), c.trigger, outcome, 1)
	}
}

// refusedOutcome maps the status of a request that published nothing to
// an outcome. Answers that are not about an event (OPTIONS, 404, 405) and
// other 2xx answers (a webhook's handshake or known delivery) are not
// counted.
func refusedOutcome(status int) (string, bool) {
	switch {
	case status == http.StatusUnauthorized:
		return ReceivedUnauthorized, true
	case status == http.StatusTooManyRequests, status == http.StatusServiceUnavailable:
		return ReceivedUnavailable, true
	case status == http.StatusConflict:
		return ReceivedDuplicate, true
	case status == http.StatusNotFound, status == http.StatusMethodNotAllowed:
		return "", false
	case status >= 400 && status < 500:
		return ReceivedRejected, true
	case status >= 500:
		return ReceivedError, true
	}
	return "", false
}

// statusRecorder remembers the status written.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// observed wraps the publisher and handler of one trigger for obs; with a
// nil obs both are returned unchanged.
func observed(obs Observer, trigger string, pub EventPublisher) (EventPublisher, func(http.Handler) http.Handler) {
	if obs == nil {
		return pub, func(h http.Handler) http.Handler { return h }
	}
	return observedPublisher{pub: pub, obs: obs, trigger: trigger}, func(h http.Handler) http.Handler {
		return observedHandler{h: h, obs: obs, trigger: trigger}
	}
}
