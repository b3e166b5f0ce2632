package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/internal/config"
)

// StreamConfig turns a mesh stream declaration into a JetStream stream config.
func StreamConfig(s config.Stream) jetstream.StreamConfig {
	sc := jetstream.StreamConfig{
		Name:       s.Name,
		Subjects:   s.Subjects,
		MaxAge:     s.MaxAge.D(),
		MaxBytes:   orUnlimited(s.MaxBytes),
		MaxMsgs:    orUnlimited(s.MaxMsgs),
		Replicas:   max(s.Replicas, 1),
		Duplicates: s.DuplicateWindow.D(),
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		Discard:    jetstream.DiscardOld,
	}
	if s.Storage == "memory" {
		sc.Storage = jetstream.MemoryStorage
	}
	if sc.Duplicates == 0 {
		sc.Duplicates = 2 * time.Minute
	}
	return sc
}

func orUnlimited(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

// DeadLetterStreamConfig is the stream that holds dead letters.
func DeadLetterStreamConfig(d config.DeadLetterStream) jetstream.StreamConfig {
	name, prefix := d.Stream, d.SubjectPrefix
	if name == "" {
		name = "DEADLETTER"
	}
	if prefix == "" {
		prefix = "deadletter"
	}
	return jetstream.StreamConfig{
		Name:       name,
		Subjects:   []string{prefix + ".>"},
		MaxAge:     d.MaxAge.D(),
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		Duplicates: 2 * time.Minute,
		MaxBytes:   -1,
		MaxMsgs:    -1,
		Replicas:   1,
	}
}

// EnsureStreams creates the mesh's streams and its dead-letter stream, or
// updates them to match the file.
func (c *Client) EnsureStreams(ctx context.Context, m *config.Mesh) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	cfgs := make([]jetstream.StreamConfig, 0, len(m.Streams)+1)
	for _, s := range m.Streams {
		cfgs = append(cfgs, StreamConfig(s))
	}
	cfgs = append(cfgs, DeadLetterStreamConfig(m.DeadLetter))
	var errs []error
	for _, sc := range cfgs {
		if _, err := c.js.CreateOrUpdateStream(ctx, sc); err != nil {
			errs = append(errs, fmt.Errorf("broker: stream %s: %w", sc.Name, c.classify(sc.Name, err)))
			continue
		}
		c.log.Debug("stream ready", "stream", sc.Name, "subjects", sc.Subjects)
	}
	return errors.Join(errs...)
}

// EnsureConsumer creates or updates a durable consumer on a stream.
func (c *Client) EnsureConsumer(ctx context.Context, stream string, cc jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	cons, err := c.js.CreateOrUpdateConsumer(ctx, stream, cc)
	if err != nil {
		return nil, fmt.Errorf("broker: consumer %s on %s: %w", cc.Durable, stream, err)
	}
	return cons, nil
}

// ConsumerInfo reads a consumer's state from the JetStream API (the
// stream leader's answer).
func (c *Client) ConsumerInfo(ctx context.Context, stream, name string) (*jetstream.ConsumerInfo, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	cons, err := c.js.Consumer(ctx, stream, name)
	if err != nil {
		return nil, fmt.Errorf("broker: consumer %s on %s: %w", name, stream, err)
	}
	// Consumer() already fetched fresh info; CachedInfo returns it without a second round trip.
	return cons.CachedInfo(), nil
}

// StoredEvent is an event read back from a stream.
type StoredEvent struct {
	// Sequence in the stream.
	Sequence uint64
	// Subject it was stored on.
	Subject string
	// Time the server stored it.
	Time time.Time
	// Event decoded from the message.
	Event *event.Event
	// Err is set instead of Event when the message could not be decoded.
	Err error
}

// ReadStream calls fn for each message of stream (optionally only those on
// filter subject) from sequence 1 until the end as it was at the call, or
// until fn returns false. It uses an ephemeral ordered consumer.
func (c *Client) ReadStream(ctx context.Context, stream, filter string, fn func(StoredEvent) bool) error {
	s, err := c.js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("broker: stream %s: %w", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return fmt.Errorf("broker: stream %s: %w", stream, err)
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 {
		return nil
	}
	occ := jetstream.OrderedConsumerConfig{}
	if filter != "" {
		occ.FilterSubjects = []string{filter}
	}
	cons, err := s.OrderedConsumer(ctx, occ)
	if err != nil {
		return fmt.Errorf("broker: read %s: %w", stream, err)
	}
	for {
		batch, err := cons.FetchNoWait(256)
		if err != nil {
			return fmt.Errorf("broker: read %s: %w", stream, err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			md, err := msg.Metadata()
			if err != nil {
				return fmt.Errorf("broker: read %s: %w", stream, err)
			}
			se := StoredEvent{Sequence: md.Sequence.Stream, Subject: msg.Subject(), Time: md.Timestamp}
			se.Event, se.Err = DecodeMsg(msg.Headers(), msg.Data())
			if !fn(se) || md.Sequence.Stream >= last {
				return nil
			}
			if md.NumPending == 0 {
				return nil
			}
		}
		if err := batch.Error(); err != nil {
			return fmt.Errorf("broker: read %s: %w", stream, err)
		}
		if n == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// DeleteMsg removes one message from a stream (used after a dead letter was redriven).
func (c *Client) DeleteMsg(ctx context.Context, stream string, seq uint64) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	s, err := c.js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("broker: stream %s: %w", stream, err)
	}
	if err := s.DeleteMsg(ctx, seq); err != nil {
		return fmt.Errorf("broker: delete %s/%d: %w", stream, seq, err)
	}
	return nil
}

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}
