package broker

import (
	"cmp"
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
	sched schedCache
	// atomicSlots holds a token per atomic batch in flight
	// (maxAtomicInFlight).
	atomicSlots chan struct{}
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
	cfg.SubjectPrefix = cmp.Or(cfg.SubjectPrefix, DefaultSubjectPrefix)
	cfg.Timeout = cmp.Or(cfg.Timeout, DefaultTimeout)
	c := &Client{nc: nc, cfg: cfg, log: slog.New(slog.DiscardHandler), atomicSlots: make(chan struct{}, maxAtomicInFlight)}
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
