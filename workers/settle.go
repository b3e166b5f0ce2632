package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
)

// ErrAttemptsExhausted is the dead-letter reason of an event delivered
// more often than its attempts allow without a result (the replicas that
// took it crashed or were killed while handling it).
var ErrAttemptsExhausted = errors.New("delivery attempts exhausted")

// ErrUndecodable is the dead-letter reason of a message that is not a
// valid CloudEvent.
var ErrUndecodable = errors.New("message is not a valid CloudEvent")

// slot is one handler slot. It is freed when both the processing of the
// event and the handler goroutine are done: a handler that ignores its
// deadline keeps its slot, so the concurrency bound holds even then.
type slot struct {
	refs atomic.Int32
	w    *Worker
}

func (s *slot) hold() { s.refs.Add(1) }

func (s *slot) done() {
	if s.refs.Add(-1) == 0 {
		s.w.release(1)
	}
}

// settleMsg settles one message: decode, filter, handle, then ack, retry
// or dead-letter. It owns one slot.
func (w *Worker) settleMsg(hard context.Context, msg jetstream.Msg) {
	sl := &slot{w: w}
	sl.hold()
	defer func() {
		if sl != nil { // nil after an in-place retry ended by shutdown
			sl.done()
		}
	}()

	md, err := msg.Metadata()
	if err != nil { // not a JetStream delivery; cannot happen with a pull consumer
		w.log.Error("message without delivery metadata", "subject", msg.Subject(), "error", err)
		_ = msg.Nak()
		return
	}
	w.resume.begin(md.Sequence.Stream)
	defer w.resume.end(md.Sequence.Stream)
	e, decodeErr := broker.DecodeMsg(msg.Headers(), msg.Data())
	ctx, finish := hard, func(string, error) {}
	if w.hooks.Deliver != nil {
		hctx, f := w.hooks.Deliver(withMessage(hard, msg, md), w.cfg.Function, msg.Headers(), e, md.NumDelivered)
		if hctx != nil {
			ctx = hctx
		}
		if f != nil {
			finish = f
		}
	}
	log := eventLog{base: w.log, md: md, e: e}
	outcome, err := w.settle(ctx, msg, md, e, decodeErr, &sl, log)
	finish(outcome, err)
}

// eventLog adds the delivery's attributes to a log line only when one is
// written, so a delivery that logs nothing allocates nothing for logging.
type eventLog struct {
	base *slog.Logger
	md   *jetstream.MsgMetadata
	e    *event.Event // nil when undecodable
}

// get is the worker's logger with the delivery's attributes.
func (l eventLog) get() *slog.Logger {
	if l.e == nil {
		return l.base.With("seq", l.md.Sequence.Stream, "attempt", l.md.NumDelivered)
	}
	return l.base.With("seq", l.md.Sequence.Stream, "attempt", l.md.NumDelivered, "event_id", l.e.ID(), "event_type", l.e.Type())
}

// settle decides the fate of one message and reports the outcome.
func (w *Worker) settle(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, e *event.Event, decodeErr error, sl **slot, log eventLog) (string, error) {
	if decodeErr != nil {
		return w.deadLetter(ctx, msg, md, fmt.Errorf("%w: %w", ErrUndecodable, decodeErr), log)
	}
	if target, ok := extension(e, broker.ExtRedriveFunction); ok && target != w.cfg.Function {
		_ = msg.Ack()
		return OutcomeFiltered, nil
	}
	if matched, outcome, ferr := w.filterEvent(e, log); !matched {
		_ = msg.Ack()
		return outcome, ferr
	}
	attempt, last := md.NumDelivered, uint64(*w.cfg.Delivery.Retry)+1
	if attempt > last+crashMargin {
		return w.deadLetter(ctx, msg, md, fmt.Errorf("%w: delivered %d times, %d attempts allowed; earlier attempts ended without a result",
			ErrAttemptsExhausted, attempt, last), log)
	}

	ref := inputOf(e) // before the handler, which owns e from now on
	hb := startHeartbeat(msg, w.cfg.AckWait/2)
	defer hb.stop()
	for {
		outs, err, aborted := w.call(withDelivery(ctx, DeliveryAttempt{Attempt: attempt, Last: last}), e, *sl)
		if aborted {
			hb.stop()
			_ = msg.Nak()
			log.get().Warn("handler cancelled by shutdown; event released", "error", err)
			return OutcomeRetry, err
		}
		if err == nil {
			err = w.publishOutputs(ctx, ref, outs)
		}
		if err == nil {
			hb.stop()
			// A plain ack: if it is lost (connection cut, kill -9 before the
			// buffer is flushed) the server redelivers after the ack wait, which
			// at-least-once allows. A confirmed ack (DoubleAck) would cost a
			// round trip per event and a third of the throughput for no change
			// in what is guaranteed. Serve flushes the connection on drain.
			if w.acks != nil {
				// The acker writes it among others and frees the slot after.
				w.acks.ack(msg, *sl, log)
				*sl = nil
				if w.log.Enabled(ctx, slog.LevelDebug) {
					log.get().Debug("handled", "outputs", len(outs))
				}
				return OutcomeOK, nil
			}
			if aerr := msg.Ack(); aerr != nil {
				log.get().Warn("ack not sent; the event will be redelivered after the ack wait", "error", aerr)
				return OutcomeRetry, fmt.Errorf("ack: %w", aerr)
			}
			if w.log.Enabled(ctx, slog.LevelDebug) {
				log.get().Debug("handled", "outputs", len(outs))
			}
			return OutcomeOK, nil
		}
		if permanent(err) || attempt >= last {
			return w.deadLetter(ctx, msg, md, err, log)
		}
		delay := w.cfg.Delivery.backoff(attempt, err)
		if w.ord != nil {
			// Ordered: the retry is made here, so only this key waits.
			log.get().Info("handler failed; retrying in place, its key waits", "error", err, "retry_in", delay)
			if !w.retryInPlace(ctx, delay, sl) {
				hb.stop()
				_ = msg.Nak()
				return OutcomeRetry, err
			}
			if e, err = broker.DecodeMsg(msg.Headers(), msg.Data()); err != nil { // the handler owned the last copy
				return w.deadLetter(ctx, msg, md, fmt.Errorf("%w: %w", ErrUndecodable, err), log)
			}
			attempt++
			continue
		}
		hb.stop()
		if nerr := msg.NakWithDelay(delay); nerr != nil {
			log.get().Warn("nak failed; the event will be redelivered after the ack wait", "error", nerr)
		}
		log.get().Info("handler failed; retrying", "error", err, "retry_in", delay)
		return OutcomeRetry, err
	}
}

// result is what a handler returned.
type result struct {
	outs []event.Event
	err  error
}

// call runs the handler with the function's timeout and recovers a panic.
// It waits for the handler at most handlerGrace past the deadline; aborted
// is true when the worker's hard context ended (shutdown timeout).
func (w *Worker) call(ctx context.Context, e *event.Event, sl *slot) (outs []event.Event, err error, aborted bool) {
	hctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	in := *e // the decoded event itself: the handler owns it, no copy is made
	res := make(chan result, 1)
	sl.hold()
	w.goHandler(func() {
		defer sl.done()
		var r result
		defer func() {
			if p := recover(); p != nil {
				r = result{err: fmt.Errorf("handler panicked: %v\n%s", p, debug.Stack())}
			}
			res <- r
		}()
		r.outs, r.err = w.h.Handle(hctx, in)
	})
	select {
	case r := <-res:
		// A handler that returned nil did its work: it is settled as such
		// even when the shutdown timeout cancelled it meanwhile.
		return r.outs, r.err, r.err != nil && ctx.Err() != nil
	case <-hctx.Done():
	}
	grace := time.NewTimer(handlerGrace)
	defer grace.Stop()
	select {
	case r := <-res:
		if r.err == nil {
			// Finished after its deadline or the shutdown timeout: the
			// work is done, keep it.
			return r.outs, nil, false
		}
		return r.outs, r.err, ctx.Err() != nil
	case <-grace.C:
		return nil, fmt.Errorf("handler did not return within its timeout (%s) and a grace of %s: %w",
			w.cfg.Timeout, handlerGrace, context.DeadlineExceeded), ctx.Err() != nil
	}
}

// goHandler runs a handler call on a kept goroutine while Run runs.
func (w *Worker) goHandler(f func()) {
	if w.pool == nil {
		go f()
		return
	}
	w.pool.Go(f)
}

// publishOutputs completes and stores the events a handler returned, in
// order. A failed publish is retryable, except for an event the broker can
// never store.
func (w *Worker) publishOutputs(ctx context.Context, in inputRef, outs []event.Event) error {
	if len(outs) == 0 {
		return nil
	}
	if err := prepareOutputs(w.cfg.Function, in, outs, time.Now()); err != nil {
		return err
	}
	// The handler succeeded: its outputs are stored even when the shutdown
	// timeout ended ctx meanwhile, each within opTimeout.
	ctx = context.WithoutCancel(ctx)
	for i := range outs {
		pctx, cancel := context.WithTimeout(ctx, opTimeout)
		_, err := w.b.Publisher.Publish(pctx, &outs[i])
		cancel()
		if err != nil {
			err = fmt.Errorf("publish output event %d (type %q): %w", i, outs[i].Type(), err)
			if errors.Is(err, broker.ErrMalformedEvent) || errors.Is(err, broker.ErrInvalidSubject) {
				return permanentError{err}
			}
			return err
		}
	}
	return nil
}

// heartbeat tells the server, every interval, that an event is still being
// worked on, so work longer than the ack wait is not redelivered.
type heartbeat struct {
	mu      sync.Mutex
	t       *time.Timer
	stopped bool
}

func startHeartbeat(msg jetstream.Msg, interval time.Duration) *heartbeat {
	interval = max(interval, 50*time.Millisecond)
	h := &heartbeat{}
	var beat func()
	beat = func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.stopped {
			return
		}
		_ = msg.InProgress()
		h.t.Reset(interval)
	}
	h.mu.Lock()
	h.t = time.AfterFunc(interval, beat)
	h.mu.Unlock()
	return h
}

// stop ends the heartbeats; it may be called more than once.
func (h *heartbeat) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	h.t.Stop()
}
