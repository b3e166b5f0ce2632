package workers

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
)

// Batch hands the handler up to MaxEvents events at once: a batch is
// closed when it holds MaxEvents or MaxWait after its first event came.
// Concurrency is then the number of batches in flight. Every event of a
// batch keeps its own delivery: heartbeats (InProgress) keep each alive
// while the batch is collected and handled, and each is acknowledged,
// retried or dead-lettered on its own (see BatchHandler).
type Batch struct {
	// MaxEvents is the most events of one batch (1..MaxBatchEvents).
	MaxEvents int
	// MaxWait is how long a batch waits for more events after its first
	// (1ms..1m).
	MaxWait time.Duration
}

// MaxBatchEvents is the largest Batch.MaxEvents.
const MaxBatchEvents = 10000

func (b *Batch) check(p *problems) {
	if b == nil {
		return
	}
	if b.MaxEvents < 1 || b.MaxEvents > MaxBatchEvents {
		p.add([]PathStep{Key("batch"), Key("maxEvents")}, fmt.Sprintf("must be between 1 and %d", MaxBatchEvents))
	}
	if b.MaxWait < time.Millisecond || b.MaxWait > time.Minute {
		p.add([]PathStep{Key("batch"), Key("maxWait")}, "must be between 1ms and 1m")
	}
}

// BatchHandler processes a batch of events. A Worker of a function with
// Batch set requires one.
//
// Contract: an error fails the whole batch: each event is retried (or
// dead-lettered) as if Handler had returned that error for it. Otherwise
// results holds one BatchResult per event, in order (nil or empty: all
// succeeded and returned nothing); each is settled as Handler's return
// for that event would be, so one bad event does not fail the rest.
type BatchHandler interface {
	HandleBatch(ctx context.Context, events []event.Event) (results []BatchResult, err error)
}

// BatchResult is what a batch handler returns for one event: the events
// to publish and the error, with Handler's meaning.
type BatchResult struct {
	Outputs []event.Event
	Err     error
}

// batchItem is one message of a batch.
type batchItem struct {
	msg     jetstream.Msg
	md      *jetstream.MsgMetadata
	e       *event.Event
	ref     inputRef
	hb      *heartbeat
	log     eventLog
	attempt uint64
	finish  func(string, error)
	ctx     context.Context
	ord     *orderedItem // nil unless the batch is ordered
}

// batchConsume is consume for a batch function: each slot collects one
// batch from the iterator, then handles and settles it in a goroutine.
func (w *Worker) batchConsume(hard context.Context, it jetstream.MessagesContext, inflight *sync.WaitGroup) {
	bh := w.h.(BatchHandler) // New checked it
	for {
		select {
		case w.slots <- struct{}{}:
		case <-hard.Done():
			it.Stop()
			return
		}
		msgs, closed := w.collect(it)
		w.handBatch(hard, bh, msgs, inflight)
		if closed {
			return
		}
	}
}

// handBatch settles msgs on a goroutine of its own, counted in inflight,
// which frees the batch's slot when done; with no msgs it frees the slot
// at once.
func (w *Worker) handBatch(hard context.Context, bh BatchHandler, msgs []batchMsg, inflight *sync.WaitGroup) {
	if len(msgs) == 0 {
		w.release(1)
		return
	}
	inflight.Add(1)
	go func() {
		defer inflight.Done()
		defer w.release(1)
		w.settleBatch(hard, bh, msgs)
	}()
}

// collect reads one batch: it waits for a first message, then takes more
// until MaxEvents or MaxWait. closed is true when the iterator ended.
// Each message gets its heartbeat at once.
func (w *Worker) collect(it jetstream.MessagesContext) (msgs []batchMsg, closed bool) {
	b := w.cfg.Batch
	var deadline time.Time
	for len(msgs) < b.MaxEvents {
		var msg jetstream.Msg
		var err error
		if len(msgs) == 0 {
			msg, err = it.Next()
		} else {
			left := time.Until(deadline)
			if left <= 0 {
				break
			}
			msg, err = it.Next(jetstream.NextMaxWait(left))
		}
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return msgs, true
			}
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
				break
			}
			w.fetchFailed(err)
			if w.lost.Load() {
				it.Stop()
				return msgs, true
			}
			if len(msgs) > 0 {
				break
			}
			continue
		}
		if len(msgs) == 0 {
			deadline = time.Now().Add(b.MaxWait)
		}
		msgs = append(msgs, batchMsg{msg: msg, hb: startHeartbeat(msg, w.cfg.AckWait/2)})
	}
	return msgs, false
}

// batchMsg is a message of a batch being collected, with its heartbeat.
type batchMsg struct {
	msg jetstream.Msg
	hb  *heartbeat
	// ord is set in an ordered batch (see orderedBatches): the event's
	// place in its key's queue, whose retries are made in place.
	ord *orderedItem
}

// settleBatch settles what needs no handler (undecodable, filtered,
// exhausted), calls the batch handler with the rest and settles each event
// by its result.
func (w *Worker) settleBatch(hard context.Context, bh BatchHandler, msgs []batchMsg) {
	last := uint64(*w.cfg.Delivery.Retry) + 1
	items := make([]*batchItem, 0, len(msgs))
	for _, bm := range msgs {
		md, err := bm.msg.Metadata()
		if err != nil {
			bm.hb.stop()
			w.log.Error("message without delivery metadata", "subject", bm.msg.Subject(), "error", err)
			_ = bm.msg.Nak()
			bm.ord.settled()
			continue
		}
		w.resume.begin(md.Sequence.Stream)
		e, decodeErr := broker.DecodeMsg(bm.msg.Headers(), bm.msg.Data())
		attempt := md.NumDelivered
		if bm.ord != nil && bm.ord.attempt > 0 {
			attempt = bm.ord.attempt // retried in place
		}
		ctx, finish := hard, func(string, error) {}
		if w.hooks.Deliver != nil {
			hctx, f := w.hooks.Deliver(withMessage(hard, bm.msg, md), w.cfg.Function, bm.msg.Headers(), e, attempt)
			if hctx != nil {
				ctx = hctx
			}
			if f != nil {
				finish = f
			}
		}
		it := &batchItem{msg: bm.msg, md: md, e: e, hb: bm.hb, log: eventLog{base: w.log, md: md, e: e},
			attempt: attempt, finish: finish, ctx: ctx, ord: bm.ord}
		done := func(outcome string, err error) {
			it.hb.stop()
			w.resume.end(md.Sequence.Stream)
			it.finish(outcome, err)
			it.ord.settled()
		}
		switch {
		case decodeErr != nil:
			done(w.deadLetter(ctx, bm.msg, md, fmt.Errorf("%w: %w", ErrUndecodable, decodeErr), it.log))
			continue
		case it.attempt > last+crashMargin:
			done(w.deadLetter(ctx, bm.msg, md, fmt.Errorf("%w: delivered %d times, %d attempts allowed; earlier attempts ended without a result",
				ErrAttemptsExhausted, it.attempt, last), it.log))
			continue
		}
		if target, ok := extension(e, broker.ExtRedriveFunction); ok && target != w.cfg.Function {
			_ = bm.msg.Ack()
			done(OutcomeFiltered, nil)
			continue
		}
		if matched, outcome, ferr := w.filterEvent(e, it.log); !matched {
			_ = bm.msg.Ack()
			done(outcome, ferr)
			continue
		}
		it.ref = inputOf(e)
		items = append(items, it)
	}
	if len(items) == 0 {
		return
	}
	results, err, aborted := w.callBatch(hard, bh, items)
	for i, it := range items {
		outcome, ierr := w.settleItem(it, results, i, err, aborted, last)
		it.hb.stop()
		w.resume.end(it.md.Sequence.Stream)
		it.finish(outcome, ierr)
		if !it.ord.retrying() {
			it.ord.settled()
		}
	}
}

// callBatch runs the batch handler with the function's timeout and
// recovers a panic; aborted is true when the shutdown timeout ended hard.
func (w *Worker) callBatch(hard context.Context, bh BatchHandler, items []*batchItem) ([]BatchResult, error, bool) {
	hctx, cancel := context.WithTimeout(hard, w.cfg.Timeout)
	defer cancel()
	events := make([]event.Event, len(items))
	for i, it := range items {
		events[i] = *it.e
	}
	type answer struct {
		res []BatchResult
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		var a answer
		defer func() {
			if p := recover(); p != nil {
				a = answer{err: fmt.Errorf("batch handler panicked: %v\n%s", p, debug.Stack())}
			}
			ch <- a
		}()
		a.res, a.err = bh.HandleBatch(withDelivery(hctx, DeliveryAttempt{Attempt: items[0].attempt, Last: uint64(*w.cfg.Delivery.Retry) + 1}), events)
	}()
	var a answer
	select {
	case a = <-ch:
	case <-hctx.Done():
		select {
		case a = <-ch:
		case <-time.After(handlerGrace):
			a.err = fmt.Errorf("batch handler did not return within its timeout (%s) and a grace of %s: %w",
				w.cfg.Timeout, handlerGrace, context.DeadlineExceeded)
		}
	}
	if a.err == nil && len(a.res) != 0 && len(a.res) != len(items) {
		a.err = fmt.Errorf("batch handler returned %d results for %d events", len(a.res), len(items))
	}
	return a.res, a.err, a.err != nil && hard.Err() != nil
}

// settleItem acknowledges, retries or dead-letters one event of a batch.
func (w *Worker) settleItem(it *batchItem, results []BatchResult, i int, batchErr error, aborted bool, last uint64) (string, error) {
	if aborted {
		it.hb.stop()
		_ = it.msg.Nak()
		return OutcomeRetry, batchErr
	}
	err := batchErr
	var outs []event.Event
	if err == nil && len(results) > 0 {
		outs, err = results[i].Outputs, results[i].Err
	}
	if err == nil {
		err = w.publishOutputs(it.ctx, it.ref, outs)
	}
	if err == nil {
		it.hb.stop()
		if aerr := it.msg.Ack(); aerr != nil {
			it.log.get().Warn("ack not sent; the event will be redelivered after the ack wait", "error", aerr)
			return OutcomeRetry, fmt.Errorf("ack: %w", aerr)
		}
		return OutcomeOK, nil
	}
	if permanent(err) || it.attempt >= last {
		return w.deadLetter(it.ctx, it.msg, it.md, err, it.log)
	}
	delay := w.cfg.Delivery.backoff(it.attempt, err)
	it.hb.stop()
	if it.ord != nil {
		// Ordered: the event stays in hand at the head of its key, which
		// waits; it goes into a later batch after the delay.
		it.ord.retryIn(delay, it.attempt+1)
		it.log.get().Info("handler failed; retrying in place, its key waits", "error", err, "retry_in", delay)
		return OutcomeRetry, err
	}
	if nerr := it.msg.NakWithDelay(delay); nerr != nil {
		it.log.get().Warn("nak failed; the event will be redelivered after the ack wait", "error", nerr)
	}
	it.log.get().Info("handler failed; retrying", "error", err, "retry_in", delay)
	return OutcomeRetry, err
}
