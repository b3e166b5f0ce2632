package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Errors callers branch on.
var (
	// ErrUnavailable means the broker cannot be reached (answer 503).
	ErrUnavailable = errors.New("broker unavailable")
	// ErrNoStream means no stream captures the event's subject.
	ErrNoStream = errors.New("no stream captures the subject")
	// ErrRejected means the server refused to store the message (limits,
	// storage full); the event was not stored.
	ErrRejected = errors.New("broker rejected the message")
)

// Client publishes CloudEvents to JetStream and manages the streams and
// consumers of a mesh. It is safe for concurrent use.
type Client struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	cfg   Config
	log   *slog.Logger
	hooks PublishHooks
}

// PublishHooks lets callers observe and decorate publishes (tracing, metrics).
type PublishHooks struct {
	// Before runs before a message is sent; it may add headers. The returned
	// function, if any, is called with the result.
	Before func(ctx context.Context, e *event.Event, msg *nats.Msg) (context.Context, func(error))
}

// Option configures a Client.
type Option func(*Client)

// WithLogger sets the logger (nil means discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) {
		if l != nil {
			c.log = l
		}
	}
}

// WithHooks installs publish hooks.
func WithHooks(h PublishHooks) Option { return func(c *Client) { c.hooks = h } }

// New wraps a NATS connection. Empty fields of cfg get their defaults,
// then the options apply, then cfg is validated: an invalid cfg is an
// error wrapping ErrInvalid that names the field.
func New(nc *nats.Conn, cfg Config, opts ...Option) (*Client, error) {
	if nc == nil {
		return nil, errors.New("broker: nil connection")
	}
	c := &Client{nc: nc, cfg: cfg.withDefaults(), log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(c)
	}
	if err := c.cfg.Validate(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("broker: jetstream: %w", err)
	}
	c.js = js
	return c, nil
}

// SubjectPrefix is the first token of the subjects Publish stores events on.
func (c *Client) SubjectPrefix() string { return c.cfg.SubjectPrefix }

// withTimeout bounds ctx by the client's Timeout unless it has a deadline.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.cfg.Timeout)
}

// Conn is the underlying NATS connection.
func (c *Client) Conn() *nats.Conn { return c.nc }

// Connected reports whether the connection is currently up.
func (c *Client) Connected() bool { return c.nc.IsConnected() }

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
func (c *Client) Publish(ctx context.Context, e *event.Event) (Ack, error) {
	msg, err := EncodeMsg(Subject(c.cfg.SubjectPrefix, e.Type()), e)
	if err != nil {
		return Ack{}, err
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
	pa, err := c.js.PublishMsg(ctx, msg)
	if err != nil {
		return Ack{}, c.classify(msg.Subject, err)
	}
	return Ack{Stream: pa.Stream, Sequence: pa.Sequence, Duplicate: pa.Duplicate}, nil
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
