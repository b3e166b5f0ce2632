package scale

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/workers"
)

// Errors of a BacklogSource, for errors.Is.
var (
	// ErrConsumerMissing means the function's durable consumer (or its
	// stream) does not exist.
	ErrConsumerMissing = errors.New("consumer missing")
	// ErrBacklogUnavailable means the backlog could not be read: the broker
	// is unreachable or did not answer.
	ErrBacklogUnavailable = errors.New("backlog unavailable")
)

// Backlog is the work waiting for a function.
type Backlog struct {
	// Pending is the number of messages not yet delivered to any replica.
	Pending uint64 `json:"pending"`
	// AckPending is the number delivered but not yet acknowledged.
	AckPending uint64 `json:"ackPending"`
	// LastActive is when the consumer last delivered or had a message
	// acknowledged (the later of the consumer info's Delivered.Last and
	// AckFloor.Last), zero when it never did. The cooldown counts from it.
	LastActive time.Time `json:"lastActive,omitzero"`
}

// Total is Pending + AckPending, the number the Scaler sizes replicas by.
// It saturates instead of overflowing.
func (b Backlog) Total() uint64 {
	if t := b.Pending + b.AckPending; t >= b.Pending {
		return t
	}
	return math.MaxUint64
}

// BacklogSource reads a function's backlog.
type BacklogSource interface {
	// Backlog returns the backlog of fn. A missing consumer is
	// ErrConsumerMissing; an unreachable broker ErrBacklogUnavailable.
	Backlog(ctx context.Context, fn string) (Backlog, error)
}

// ConsumerEnsurer is implemented by a BacklogSource that can create a
// function's durable consumer. Scaler.Run calls it once per function before
// its first poll (retrying on later polls until it succeeds), so that a
// function at zero replicas still has a consumer whose backlog can be read.
type ConsumerEnsurer interface {
	EnsureConsumer(ctx context.Context, fn string) error
}

// Consumers is the broker API a BrokerBacklog reads and creates consumers
// through; *broker.Client is one.
type Consumers interface {
	ConsumerInfo(ctx context.Context, stream, name string) (*jetstream.ConsumerInfo, error)
	EnsureConsumer(ctx context.Context, stream string, cfg jetstream.ConsumerConfig) (jetstream.Consumer, error)
}

// BrokerBacklog reads backlogs from the JetStream API (the consumer info the
// stream leader answers, never a monitoring endpoint) and creates missing
// consumers as workers.ConsumerConfig derives them.
type BrokerBacklog struct {
	c   Consumers
	fns map[string]workers.Config
	sub Subscriber // nil: not a waker (see WakeOn)
}

var (
	_ BacklogSource   = (*BrokerBacklog)(nil)
	_ ConsumerEnsurer = (*BrokerBacklog)(nil)
)

// NewBrokerBacklog reads the consumers of fns through c. Each Config takes
// its defaults and must then be valid.
func NewBrokerBacklog(c Consumers, fns []workers.Config) (*BrokerBacklog, error) {
	if c == nil {
		return nil, errors.New("backlog: consumers is nil")
	}
	b := &BrokerBacklog{c: c, fns: make(map[string]workers.Config, len(fns))}
	var errs []error
	for _, fn := range fns {
		fn = fn.WithDefaults()
		if err := fn.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("backlog: %w", err))
		}
		b.fns[fn.Function] = fn
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return b, nil
}

// Backlog reads the consumer of fn: NumPending + NumAckPending.
func (b *BrokerBacklog) Backlog(ctx context.Context, fn string) (Backlog, error) {
	f, err := b.lookup(fn)
	if err != nil {
		return Backlog{}, err
	}
	info, err := b.c.ConsumerInfo(ctx, f.Stream, workers.ConsumerName(f.Function))
	if err != nil {
		return Backlog{}, backlogError(fn, f.Stream, err)
	}
	return Backlog{
		Pending: info.NumPending, AckPending: uint64(max(info.NumAckPending, 0)),
		LastActive: lastActive(info.Delivered.Last, info.AckFloor.Last),
	}, nil
}

// lastActive is the later of the times that are set.
func lastActive(ts ...*time.Time) time.Time {
	var last time.Time
	for _, t := range ts {
		if t != nil && t.After(last) {
			last = *t
		}
	}
	return last
}

// EnsureConsumer creates or updates fn's durable consumer.
func (b *BrokerBacklog) EnsureConsumer(ctx context.Context, fn string) error {
	f, err := b.lookup(fn)
	if err != nil {
		return err
	}
	if _, err := b.c.EnsureConsumer(ctx, f.Stream, workers.ConsumerConfig(f)); err != nil {
		return backlogError(fn, f.Stream, err)
	}
	return nil
}

func (b *BrokerBacklog) lookup(fn string) (workers.Config, error) {
	f, ok := b.fns[fn]
	if !ok {
		return workers.Config{}, fmt.Errorf("backlog of %q: %w", fn, ErrUnknownFunction)
	}
	return f, nil
}

// backlogError sorts a consumer API error into ErrConsumerMissing or
// ErrBacklogUnavailable.
func backlogError(fn, stream string, err error) error {
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		return fmt.Errorf("function %s: %w: %w", fn, ErrConsumerMissing, err)
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return fmt.Errorf("function %s: stream %s: %w: %w", fn, stream, ErrConsumerMissing, err)
	}
	return fmt.Errorf("function %s: %w: %w", fn, ErrBacklogUnavailable, err)
}
