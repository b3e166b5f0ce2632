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

// EnsureConsumer creates or updates a durable consumer on a stream. An
// existing consumer keeps its position (see KeepPosition): cc's deliver
// policy and start only apply to a consumer it creates.
func (c *Client) EnsureConsumer(ctx context.Context, stream string, cc jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	if cc.Durable != "" {
		if existing, err := c.js.Consumer(ctx, stream, cc.Durable); err == nil {
			cc, _ = KeepPosition(existing.CachedInfo().Config, cc)
		}
	}
	cons, err := c.js.CreateOrUpdateConsumer(ctx, stream, cc)
	if err != nil {
		return nil, fmt.Errorf("broker: consumer %s on %s: %w", cc.Durable, stream, err)
	}
	return cons, nil
}

// KeepPosition returns want with the start of existing, the consumer the
// server already has: JetStream does not move an existing consumer (it
// refuses to change a deliver policy or a start time), so the position it
// has is kept. changed reports whether want asked for another start, which
// then has no effect.
func KeepPosition(existing, want jetstream.ConsumerConfig) (kept jetstream.ConsumerConfig, changed bool) {
	changed = existing.DeliverPolicy != want.DeliverPolicy || existing.OptStartSeq != want.OptStartSeq ||
		!sameTime(existing.OptStartTime, want.OptStartTime)
	want.DeliverPolicy, want.OptStartSeq, want.OptStartTime = existing.DeliverPolicy, existing.OptStartSeq, existing.OptStartTime
	return want, changed
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// ConsumerInfo reads a consumer's state from the JetStream API (the
// stream leader's answer).
func (c *Client) ConsumerInfo(ctx context.Context, stream, name string) (*jetstream.ConsumerInfo, error) {
	ctx, cancel := c.withTimeout(ctx)
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
	occ := jetstream.OrderedConsumerConfig{}
	if filter != "" {
		occ.FilterSubjects = []string{filter}
	}
	err = readOrdered(ctx, s, info.State, occ, func(msg jetstream.Msg, md *jetstream.MsgMetadata) (bool, error) {
		se := StoredEvent{Sequence: md.Sequence.Stream, Subject: msg.Subject(), Time: md.Timestamp}
		se.Event, se.Err = DecodeMsg(msg.Headers(), msg.Data())
		return fn(se), nil
	})
	if err != nil {
		return fmt.Errorf("broker: read %s: %w", stream, err)
	}
	return nil
}

// readOrdered calls visit for each message an ordered consumer occ on s
// delivers, up to the last message (on occ's filter) of the stream as it
// was in st, or until visit says no more or fails.
//
// The end is that last sequence, not an empty pull or a pending count of
// 0: a consumer's counts can lag behind the stream (a fresh consumer's
// first answers may say 0 pending). On a cluster the ordered consumer
// lives on one server and its pull subject reaches the others' routes a
// moment later: a pull made before that meets no responders, and one that
// comes back empty may be early. Both are tried again within readSettle;
// nothing more within it means what was left was removed meanwhile (a
// purge, maxAge), and the read is complete.
func readOrdered(ctx context.Context, s jetstream.Stream, st jetstream.StreamState, occ jetstream.OrderedConsumerConfig, visit func(jetstream.Msg, *jetstream.MsgMetadata) (bool, error)) error {
	if st.Msgs == 0 {
		return nil
	}
	last := st.LastSeq
	if len(occ.FilterSubjects) > 0 {
		var onFilter uint64
		for _, f := range occ.FilterSubjects {
			m, err := s.GetLastMsgForSubject(ctx, f)
			switch {
			case errors.Is(err, jetstream.ErrMsgNotFound):
			case err != nil:
				return fmt.Errorf("last message on %s: %w", f, err)
			default:
				onFilter = max(onFilter, m.Sequence)
			}
		}
		if onFilter == 0 {
			return nil
		}
		last = min(last, onFilter)
	}
	cons, err := s.OrderedConsumer(ctx, occ)
	if err != nil {
		return err
	}
	var settleUntil time.Time
	settle := func(cause error) error {
		if settleUntil.IsZero() {
			settleUntil = time.Now().Add(readSettle)
		}
		if time.Now().After(settleUntil) {
			return cause
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(readRetry):
			return nil
		}
	}
	for {
		batch, err := cons.FetchNoWait(256)
		if errors.Is(err, nats.ErrNoResponders) {
			if err := settle(err); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			md, err := msg.Metadata()
			if err != nil {
				return err
			}
			if md.Sequence.Stream > last {
				return nil
			}
			if more, err := visit(msg, md); err != nil || !more || md.Sequence.Stream >= last {
				return err
			}
		}
		if err := batch.Error(); err != nil {
			if !errors.Is(err, nats.ErrNoResponders) {
				return err
			}
			if err := settle(err); err != nil {
				return err
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if n > 0 {
			settleUntil = time.Time{}
			continue
		}
		if err := settle(errNothingLeft); err != nil {
			if errors.Is(err, errNothingLeft) {
				return nil
			}
			return err
		}
	}
}

var errNothingLeft = errors.New("nothing left to read")

// readSettle bounds how long ReadStream waits for a new ordered
// consumer to answer its pulls; readRetry is the pause between tries.
const (
	readSettle = 5 * time.Second
	readRetry  = 50 * time.Millisecond
)

// DeleteMsg removes one message from a stream (used after a dead letter was redriven).
func (c *Client) DeleteMsg(ctx context.Context, stream string, seq uint64) error {
	ctx, cancel := c.withTimeout(ctx)
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
