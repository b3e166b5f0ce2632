package workers

import (
	"context"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
)

// Publisher stores the events a handler returns; *broker.Client is one.
type Publisher interface {
	// Publish stores e and returns once the broker confirmed it.
	Publish(ctx context.Context, e *event.Event) (broker.Ack, error)
}

// DeadLetterer stores a message that failed for good, with why, before the
// worker terminates its delivery.
type DeadLetterer interface {
	// DeadLetter stores the message as it was delivered (headers and
	// payload; a valid CloudEvent keeps its attributes, plus the
	// deadletter* extensions of info) and returns once the broker confirmed
	// it. msgID de-duplicates a repeated dead-lettering of one delivery.
	DeadLetter(ctx context.Context, hdr nats.Header, data []byte, info broker.DeadLetterInfo, msgID string) (broker.Ack, error)
}

// Consumers is the connection a Worker pulls and acknowledges through;
// *broker.Client is one.
type Consumers interface {
	// EnsureConsumer creates or updates the durable consumer cfg on stream.
	EnsureConsumer(ctx context.Context, stream string, cfg jetstream.ConsumerConfig) (jetstream.Consumer, error)
	// Conn is the connection the consumer's messages are acknowledged on;
	// the worker flushes it on drain and reports readiness by it.
	Conn() *nats.Conn
}

// Broker is what a Worker needs from the broker: each role may be served
// by a different value (in fnmesh one *broker.Client serves the first two).
type Broker struct {
	// Consumers pulls and acknowledges. Required.
	Consumers Consumers
	// Publisher stores returned events. Required.
	Publisher Publisher
	// DeadLetterer stores events that failed for good. Required unless the
	// function turns dead letters off.
	DeadLetterer DeadLetterer
}

var (
	_ Consumers = (*broker.Client)(nil)
	_ Publisher = (*broker.Client)(nil)
)
