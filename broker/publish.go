package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Ack is what the broker answered for a stored event.
type Ack struct {
	// Stream that stored the event.
	Stream string `json:"stream"`
	// Sequence of the message in the stream.
	Sequence uint64 `json:"seq"`
	// Duplicate is true when the event had already been stored (same source and id).
	Duplicate bool `json:"duplicate,omitempty"`
}

// Publish stores the event on "<prefix>.<escaped type>" in binary mode with
// Nats-Msg-Id = DedupID(source, id) and waits for the PubAck. Publishing
// the same (source, id) twice within the stream's duplicate window stores it
// once; the second Ack has Duplicate set.
//
// An event with a "deliverat" extension in the future is stored at once as
// a JetStream message schedule (see DeliverAt and ScheduleSubjects): the
// server publishes it on its subject at that time, with the same headers,
// and until then no consumer of the event subjects sees it. The stream must
// be declared with Schedules; a time further ahead than its MaxDelay (or
// MaxAge) is an *AttributeError naming "deliverat". A time in the past is
// delivered at once.
func (c *Client) Publish(ctx context.Context, e *event.Event) (Ack, error) {
	at, delayed, err := DeliverAt(e)
	if err != nil {
		return Ack{}, fmt.Errorf("broker: publish: %w", err)
	}
	msg, err := EncodeMsg(Subject(c.cfg.SubjectPrefix, e.Type()), e)
	if err != nil {
		return Ack{}, err
	}
	if delayed && time.Until(at) > 0 {
		sctx, cancel := c.withTimeout(ctx)
		err := c.scheduleMsg(sctx, e, msg, at)
		cancel()
		if err != nil {
			return Ack{}, err
		}
	}
	return c.send(ctx, e, msg)
}

// PublishTo stores the event on an explicit subject. msgID replaces the
// default de-duplication id when not empty.
func (c *Client) PublishTo(ctx context.Context, subject string, e *event.Event, msgID string) (Ack, error) {
	msg, err := EncodeMsg(subject, e)
	if err != nil {
		return Ack{}, err
	}
	if msgID != "" {
		msg.Header.Set(jetstream.MsgIDHeader, msgID)
	}
	return c.send(ctx, e, msg)
}

func (c *Client) send(ctx context.Context, e *event.Event, msg *nats.Msg) (ack Ack, err error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if c.hooks.Before != nil {
		var done func(error)
		ctx, done = c.hooks.Before(ctx, e, msg)
		if done != nil {
			defer func() { done(err) }()
		}
	}
	// Fail at once while the connection is down: waiting for a PubAck that
	// cannot come would hold every caller (an HTTP request, a worker) for
	// the whole timeout before it learns to retry.
	if !c.nc.IsConnected() {
		return Ack{}, fmt.Errorf("broker: publish %s: %w: connection %s", msg.Subject, ErrUnavailable, c.nc.Status())
	}
	return c.publishMsg(ctx, msg)
}

// classify maps nats.go errors to the package's sentinels.
func (c *Client) classify(subject string, err error) error {
	switch {
	case !c.nc.IsConnected(),
		errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, nats.ErrConnectionReconnecting),
		errors.Is(err, nats.ErrDisconnected),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, nats.ErrTimeout):
		return fmt.Errorf("broker: publish %s: %w: %w", subject, ErrUnavailable, err)
	case errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, nats.ErrNoResponders):
		return fmt.Errorf("broker: publish %s: %w: %w", subject, ErrNoStream, err)
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && isStreamFull(apiErr) {
		return fmt.Errorf("broker: publish %s: %w: %w: %w", subject, ErrStreamFull, ErrRejected, err)
	}
	if errors.As(err, &apiErr) {
		return fmt.Errorf("broker: publish %s: %w: %w", subject, ErrRejected, err)
	}
	return fmt.Errorf("broker: publish %s: %w", subject, err)
}

// PublishRetryWindow bounds how long a publish is tried again while the
// stream that captures its subject does not answer: a leader election on a
// cluster (about two seconds on nats-server), JetStream restarting. Every
// attempt carries the same Nats-Msg-Id, so an attempt that was stored but
// whose PubAck was lost is not stored twice. Past the window the publish
// fails with ErrUnavailable (an HTTP trigger answers 503 with Retry-After).
const PublishRetryWindow = 3 * time.Second

// The pause between two attempts inside PublishRetryWindow doubles from
// retryFirstPause up to retryMaxPause.
const (
	retryFirstPause = 50 * time.Millisecond
	retryMaxPause   = 500 * time.Millisecond
)

// lookupTimeout bounds the question "does a stream capture this subject?"
// asked after a publish met no stream: a JetStream API that does not answer
// that fast is taken for an outage, and the window's attempts go on.
const lookupTimeout = 500 * time.Millisecond

// noRetries turns off nats.go's own retry on no responders: publishMsg
// owns the policy.
var noRetries = jetstream.WithRetryAttempts(0)

// publishMsg sends msg and waits for its PubAck. While no stream answers
// it tries again within PublishRetryWindow, unless the server says that no
// stream captures the subject at all (ErrNoStream, at once: a mesh that
// does not declare the subject is not an outage).
func (c *Client) publishMsg(ctx context.Context, msg *nats.Msg) (Ack, error) {
	pa, err := c.js.PublishMsg(ctx, msg, noRetries)
	if err == nil {
		return toAck(pa), nil
	}
	if !retryable(err) || ctx.Err() != nil {
		return Ack{}, c.classify(msg.Subject, err)
	}
	deadline := time.Now().Add(PublishRetryWindow)
	if c.noStreamCaptures(ctx, msg.Subject) {
		return Ack{}, fmt.Errorf("broker: publish %s: %w: %w", msg.Subject, ErrNoStream, err)
	}
	for pause := retryFirstPause; ; pause = min(2*pause, retryMaxPause) {
		wait := min(pause, time.Until(deadline))
		if wait <= 0 {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return Ack{}, fmt.Errorf("broker: publish %s: %w: %w (last attempt: %w)", msg.Subject, ErrUnavailable, ctx.Err(), err)
		case <-t.C:
		}
		if !c.nc.IsConnected() {
			return Ack{}, fmt.Errorf("broker: publish %s: %w: connection %s", msg.Subject, ErrUnavailable, c.nc.Status())
		}
		actx, cancel := context.WithDeadline(ctx, deadline)
		pa, err = c.js.PublishMsg(actx, msg, noRetries)
		cancel()
		if err == nil {
			return toAck(pa), nil
		}
		if !retryable(err) {
			return Ack{}, c.classify(msg.Subject, err)
		}
	}
	if inProcess(err) {
		return Ack{}, fmt.Errorf("broker: publish %s: %w: %w", msg.Subject, ErrInProcess, err)
	}
	c.log.Warn("publish: no stream answered", "subject", msg.Subject, "window", PublishRetryWindow, "error", err)
	return Ack{}, fmt.Errorf("broker: publish %s: %w: no stream answered within %s: %w", msg.Subject, ErrUnavailable, PublishRetryWindow, err)
}

// retryable reports whether err may pass once the stream has a leader
// again: no responders, a timeout, or the server saying JetStream is
// temporarily unavailable.
func retryable(err error) bool {
	var apiErr *jetstream.APIError
	switch {
	case errors.Is(err, jetstream.ErrNoStreamResponse),
		errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, nats.ErrTimeout),
		errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeMsgIDInProcess:
		// Another publish of the same event is being replicated: once it
		// is stored the next attempt gets the duplicate answer.
		return true
	case errors.As(err, &apiErr):
		// A full discard-new stream answers 503 too, but waiting does not
		// empty it: that is ErrStreamFull at once.
		return apiErr.Code == 503 && !isStreamFull(apiErr)
	}
	return false
}

// errCodeMsgIDInProcess is JetStream's error code for "duplicate message
// id is in process" (409): a publish with the same Nats-Msg-Id is being
// replicated and its outcome is not known yet.
const errCodeMsgIDInProcess jetstream.ErrorCode = 10158

// ErrInProcess means another publish of the same event (source and id) was
// still being stored when the retry window ended (answer 409: the client
// may ask again and get the duplicate answer).
var ErrInProcess = errors.New("the same event is being stored by another publish")

func inProcess(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeMsgIDInProcess
}

// noStreamCaptures asks the JetStream API whether a stream captures
// subject, and reports true only when the answer is a definite no. A
// failed lookup (no JetStream leader either) counts as an outage.
func (c *Client) noStreamCaptures(ctx context.Context, subject string) bool {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	_, err := c.js.StreamNameBySubject(ctx, subject)
	return errors.Is(err, jetstream.ErrStreamNotFound)
}

func toAck(pa *jetstream.PubAck) Ack {
	return Ack{Stream: pa.Stream, Sequence: pa.Sequence, Duplicate: pa.Duplicate}
}
