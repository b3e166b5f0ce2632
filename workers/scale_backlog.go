package workers

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/config"
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

// BrokerBacklog reads backlogs from the JetStream API (the consumer info the
// stream leader answers, never a monitoring endpoint) and creates missing
// consumers with ConsumerConfig.
type BrokerBacklog struct {
	c *broker.Client
	m *config.Mesh
}

var (
	_ BacklogSource   = (*BrokerBacklog)(nil)
	_ ConsumerEnsurer = (*BrokerBacklog)(nil)
)

// NewBrokerBacklog reads the consumers of m's functions through c.
func NewBrokerBacklog(c *broker.Client, m *config.Mesh) *BrokerBacklog {
	return &BrokerBacklog{c: c, m: m}
}

// Backlog reads the consumer of fn: NumPending + NumAckPending.
func (b *BrokerBacklog) Backlog(ctx context.Context, fn string) (Backlog, error) {
	f, stream, err := b.lookup(fn)
	if err != nil {
		return Backlog{}, err
	}
	info, err := b.c.ConsumerInfo(ctx, stream, ConsumerName(f.Name))
	if err != nil {
		return Backlog{}, backlogError(fn, stream, err)
	}
	return Backlog{Pending: info.NumPending, AckPending: uint64(max(info.NumAckPending, 0))}, nil
}

// EnsureConsumer creates or updates fn's durable consumer from the mesh.
func (b *BrokerBacklog) EnsureConsumer(ctx context.Context, fn string) error {
	f, stream, err := b.lookup(fn)
	if err != nil {
		return err
	}
	if _, err := b.c.EnsureConsumer(ctx, stream, ConsumerConfig(b.m, f)); err != nil {
		return backlogError(fn, stream, err)
	}
	return nil
}

func (b *BrokerBacklog) lookup(fn string) (*config.Function, string, error) {
	f, ok := b.m.Function(fn)
	if !ok {
		return nil, "", fmt.Errorf("backlog of %q: %w", fn, ErrUnknownFunction)
	}
	s := b.m.StreamFor(f)
	if s == nil {
		return nil, "", fmt.Errorf("backlog of %q: no stream for the function: %w", fn, ErrConsumerMissing)
	}
	return f, s.Name, nil
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
