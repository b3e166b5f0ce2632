package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// MaxAtomicBatch is the most events one atomic batch may hold: the
// server's default limit on atomic batch publish (JetStream
// max_batch_size).
const MaxAtomicBatch = 1000

// Errors of PublishBatch.
var (
	// ErrBatchDuplicate means an atomic batch holds an event that is
	// already stored (same source and id): JetStream refuses the whole
	// batch, so nothing of it was stored.
	ErrBatchDuplicate = errors.New("the batch holds an event that is already stored (same source and id)")
	// ErrBatchStreams means the events of a batch are not all captured by
	// one stream: JetStream stores a batch in one stream.
	ErrBatchStreams = errors.New("the events of a batch must all belong to one stream")
	// ErrBatchTooLarge means an atomic batch has more than MaxAtomicBatch
	// events.
	ErrBatchTooLarge = fmt.Errorf("an atomic batch holds at most %d events", MaxAtomicBatch)
)

// BatchMode chooses how PublishBatch stores a batch.
type BatchMode int

const (
	// BatchAtomic stores every event or none (JetStream atomic batch
	// publish, ADR-50): the server stages the batch and commits it at
	// its last message. At most MaxAtomicBatch events, of one stream.
	BatchAtomic BatchMode = iota
	// BatchFast streams the events with JetStream fast batch publish
	// (flow-controlled, acknowledged every so many messages): no bound on
	// the size, not atomic. When it fails, the events before
	// BatchResult.Stored are stored and the others may not be; storing
	// again is idempotent by (source, id).
	BatchFast
)

// BatchResult is what PublishBatch stored.
type BatchResult struct {
	// Stream that stored the batch (the last event's, in fast mode).
	Stream string
	// Acks has one Ack per event in atomic mode, in order (none is
	// Duplicate: a duplicate fails the batch). Nil in fast mode, where the
	// server acknowledges the batch, not each event.
	Acks []Ack
	// Stored counts the events known stored: all of them, or in fast mode
	// after a failure, those acknowledged before it.
	Stored int
}

// maxAtomicInFlight bounds the atomic batches a Client sends at once; the
// others wait (within their context) before sending their first message.
// The server stages each atomic batch of a one-replica file stream in a
// file store of its own and commits them on the stream's one goroutine,
// so more batches at once only contend: raw atomic batches of 1,000 from
// 32 goroutines stored 9,000 to 13,000 msgs/s against 22,000 to 24,000
// from 4 (BenchmarkRawPublish), and `fnmesh bench ingest --batch 1000`
// at 32 clients stores about twice as many batched events with this
// bound (docs/BENCHMARKS.md).
const maxAtomicInFlight = 4

// PublishBatch stores events as one JetStream batch, each as Publish would
// (subject, Nats-Msg-Id, a schedule for a "deliverat" in the future). An
// event that cannot be encoded fails the call before anything is sent, as
// an error wrapping *BatchEventError.
func (c *Client) PublishBatch(ctx context.Context, events []*event.Event, mode BatchMode) (res BatchResult, err error) {
	if len(events) == 0 {
		return BatchResult{}, errors.New("broker: publish batch: no events")
	}
	if mode == BatchAtomic && len(events) > MaxAtomicBatch {
		return BatchResult{}, fmt.Errorf("broker: publish batch of %d: %w", len(events), ErrBatchTooLarge)
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	msgs := make([]*nats.Msg, len(events))
	var dones []func(error)
	defer func() {
		for _, done := range dones {
			done(err)
		}
	}()
	var (
		stream string
		// The subject and stream of the last type: the events of a batch
		// mostly share one.
		lastType, subject string
		s                 streamSched
	)
	for i, e := range events {
		at, delayed, err := DeliverAt(e)
		if err != nil {
			return BatchResult{}, &BatchEventError{Index: i, Err: err}
		}
		sameType := i > 0 && e.Type() == lastType
		if !sameType {
			lastType, subject = e.Type(), Subject(c.cfg.SubjectPrefix, e.Type())
		}
		msg, err := EncodeMsg(subject, e)
		if err != nil {
			return BatchResult{}, &BatchEventError{Index: i, Err: err}
		}
		if !sameType {
			if s, err = c.scheduleInfo(ctx, msg.Subject); err != nil {
				return BatchResult{}, &BatchEventError{Index: i, Err: err}
			}
		}
		if stream != "" && s.name != stream {
			return BatchResult{}, &BatchEventError{Index: i, Err: fmt.Errorf("%w: stored by %s, the batch so far by %s", ErrBatchStreams, s.name, stream)}
		}
		stream = s.name
		if delayed && time.Until(at) > 0 {
			if err := c.scheduleMsg(ctx, e, msg, at); err != nil {
				return BatchResult{}, &BatchEventError{Index: i, Err: err}
			}
		}
		if c.hooks.Before != nil {
			var done func(error)
			_, done = c.hooks.Before(ctx, e, msg)
			if done != nil {
				dones = append(dones, done)
			}
		}
		msgs[i] = msg
	}
	if !c.nc.IsConnected() {
		return BatchResult{}, fmt.Errorf("broker: publish batch: %w: connection %s", ErrUnavailable, c.nc.Status())
	}
	if mode == BatchFast {
		return c.publishFast(ctx, msgs)
	}
	select {
	case c.atomicSlots <- struct{}{}:
	case <-ctx.Done():
		return BatchResult{}, fmt.Errorf("broker: publish batch %s: %w: waiting for one of %d atomic batches in flight: %w",
			msgs[0].Subject, ErrUnavailable, maxAtomicInFlight, ctx.Err())
	}
	ack, err := jetstreamext.PublishMsgBatch(ctx, c.js, msgs)
	<-c.atomicSlots
	if err != nil {
		return BatchResult{}, c.classifyBatch(msgs[0].Subject, err)
	}
	res = BatchResult{Stream: ack.Stream, Acks: make([]Ack, len(msgs)), Stored: len(msgs)}
	first := ack.Sequence - uint64(len(msgs)) + 1
	for i := range res.Acks {
		res.Acks[i] = Ack{Stream: ack.Stream, Sequence: first + uint64(i)}
	}
	return res, nil
}

// publishFast sends msgs with fast batch publish.
func (c *Client) publishFast(ctx context.Context, msgs []*nats.Msg) (BatchResult, error) {
	fp, err := jetstreamext.NewFastPublisher(c.js)
	if err != nil {
		return BatchResult{}, fmt.Errorf("broker: publish batch: %w", err)
	}
	var acked uint64
	for _, m := range msgs[:len(msgs)-1] {
		pa, err := fp.AddMsg(m)
		if err != nil {
			return BatchResult{Stored: int(acked)}, c.classifyBatch(m.Subject, err)
		}
		acked = max(acked, pa.AckSequence)
	}
	ack, err := fp.CommitMsg(ctx, msgs[len(msgs)-1])
	if err != nil {
		return BatchResult{Stored: int(acked)}, c.classifyBatch(msgs[len(msgs)-1].Subject, err)
	}
	return BatchResult{Stream: ack.Stream, Stored: len(msgs)}, nil
}

// classifyBatch maps batch publish errors onto the package's sentinels.
func (c *Client) classifyBatch(subject string, err error) error {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case jetstreamext.JSErrCodeBatchPublishDuplicateMsgID:
			return fmt.Errorf("broker: publish batch: %w: %w", ErrBatchDuplicate, err)
		case jetstreamext.JSErrCodeBatchPublishExceedsLimit:
			return fmt.Errorf("broker: publish batch: %w: %w", ErrBatchTooLarge, err)
		case jetstreamext.JSErrCodeAtomicPublishTooManyInflight, jetstreamext.JSErrCodeBatchPublishTooManyInflight:
			return fmt.Errorf("broker: publish batch: %w: %w", ErrUnavailable, err)
		}
	}
	if errors.Is(err, jetstreamext.ErrBatchPublishIncomplete) {
		return fmt.Errorf("broker: publish batch %s: %w: %w", subject, ErrUnavailable, err)
	}
	return c.classify(subject, err)
}

// BatchEventError names the event of a batch that failed it.
type BatchEventError struct {
	// Index of the event in the batch, from 0.
	Index int
	// Err is why.
	Err error
}

// Error implements error.
func (e *BatchEventError) Error() string {
	return fmt.Sprintf("broker: publish batch: event %d: %v", e.Index, e.Err)
}

// Unwrap returns Err.
func (e *BatchEventError) Unwrap() error { return e.Err }
