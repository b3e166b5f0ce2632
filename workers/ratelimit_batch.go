package workers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// limitedBatchConsume is the consume loop of a rate-limited batch
// function: the limit counts events, not batches. For each batch it holds
// one slot and fills the batch (see batchFiller.fill): a batch of n events
// took n tokens of the global budget, each taken before its event was
// asked of the consumer, so events over the limit stay in the stream. The
// batch is then handled and settled per event as any batch is. It returns
// when ctx ends or the connection is closed.
func (w *Worker) limitedBatchConsume(ctx, hard context.Context, cons jetstream.Consumer, inflight *sync.WaitGroup) error {
	bh := w.h.(BatchHandler) // New checked it
	js, err := jetstream.New(w.b.Consumers.Conn())
	if err != nil {
		return fmt.Errorf("workers: function %q: %w", w.cfg.Function, err)
	}
	f := &batchFiller{w: w, js: js, cons: cons}
	for {
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		msgs, err := f.fill(ctx)
		// Also after ctx ended: the events are in hand, the drain handles
		// them.
		w.handBatch(hard, bh, msgs, inflight)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// batchFiller fills the batches of a rate-limited batch function.
type batchFiller struct {
	w    *Worker
	js   jetstream.JetStream
	cons jetstream.Consumer
	lim  *limiter // opened at the first take
	// tokens were taken and not yet matched by an event (the stream ran
	// dry); they are used by the next fetch. New tokens are taken only
	// when none are kept, so a replica keeps at most one take's worth:
	// the burst, or less.
	tokens int
	wait   time.Duration // backoff after a failed take or fetch
}

// fill collects one batch. While the batch is not full it takes tokens (as
// many as the room left and the budget allow, one compare-and-set) and
// fetches that many events in one pull request: before the first event
// the request waits up to the pull expiry, after it up to MaxWait from the
// first event, which closes the batch as it does without a limit (a
// batch also closes when MaxWait passes while it waits for tokens). It
// returns what it collected when the batch is full, MaxWait passed, no
// event came within a pull expiry, or ctx ended; err is set only when the
// connection is closed. Each message gets its heartbeat at once.
func (f *batchFiller) fill(ctx context.Context) (msgs []batchMsg, err error) {
	w, b := f.w, f.w.cfg.Batch
	var deadline time.Time // MaxWait after the first event; zero before it
	for len(msgs) < b.MaxEvents && ctx.Err() == nil {
		room := b.MaxEvents - len(msgs)
		if f.tokens == 0 {
			closed, err := f.take(ctx, deadline, room)
			if err != nil {
				return msgs, err
			}
			if closed {
				break
			}
			if f.tokens == 0 {
				continue // the take failed and its backoff passed
			}
		}
		if w.lost.Load() {
			c, err := w.ensure(ctx)
			if err != nil {
				break // ctx ended
			}
			f.cons = c
		}
		n := min(f.tokens, room)
		var got []jetstream.Msg
		var ferr error
		if deadline.IsZero() {
			// Take what is there at once (up to the tokens); only when
			// nothing is, wait for the first event that comes.
			got, ferr = fetchAll(f.cons.FetchNoWait(n))
			if len(got) == 0 && ferr == nil {
				got, ferr = fetchAll(f.cons.Fetch(1, jetstream.FetchMaxWait(pullExpiry)))
			}
		} else {
			left := time.Until(deadline)
			if left < time.Millisecond {
				break
			}
			// A server-side expiry (the client waits a second longer), so
			// no event is sent after the client stopped listening.
			got, ferr = fetchAll(f.cons.Fetch(n, jetstream.FetchMaxWait(left)))
		}
		for _, m := range got {
			msgs = append(msgs, batchMsg{msg: m, hb: startHeartbeat(m, w.cfg.AckWait/2)})
		}
		f.tokens -= len(got)
		if len(got) > 0 {
			f.wait = 0
			if deadline.IsZero() {
				deadline = time.Now().Add(b.MaxWait)
			}
			continue
		}
		if ferr != nil && !errors.Is(ferr, nats.ErrTimeout) && !errors.Is(ferr, jetstream.ErrNoMessages) {
			if w.b.Consumers.Conn().IsClosed() {
				return msgs, closedErr(w.cfg.Function)
			}
			w.fetchFailed(ferr)
			if len(msgs) > 0 {
				break
			}
			f.backoff(ctx)
			continue
		}
		if len(msgs) == 0 {
			break // nothing within a pull expiry: the caller frees the slot
		}
	}
	return msgs, nil
}

// take takes up to want tokens into f.tokens, waiting for the budget; a
// batch that holds events (deadline set) waits only until its deadline,
// and closed is true when the deadline came first or ctx ended. A failed
// take is logged and backed off; f.tokens stays 0 then. err is set only
// when the connection is closed.
func (f *batchFiller) take(ctx context.Context, deadline time.Time, want int) (closed bool, err error) {
	w := f.w
	tctx, cancel := ctx, context.CancelFunc(func() {})
	if !deadline.IsZero() {
		tctx, cancel = context.WithDeadline(ctx, deadline)
	}
	defer cancel()
	var n int
	if f.lim == nil {
		f.lim, err = newLimiter(tctx, f.js, w.cfg.Function, *w.cfg.RateLimit)
	}
	if err == nil {
		n, err = f.lim.take(tctx, want)
	}
	if tctx.Err() != nil {
		if f.lim != nil && err == nil {
			f.tokens += n // taken just as the deadline passed: keep them
		}
		return true, nil
	}
	if err != nil {
		if w.b.Consumers.Conn().IsClosed() {
			return true, closedErr(w.cfg.Function)
		}
		w.log.Warn("rate limit: cannot take a token; retrying", "error", err, "retry_in", f.nextWait())
		f.backoff(ctx)
		return false, nil
	}
	f.tokens += n
	f.wait = 0
	return false, nil
}

// nextWait is the backoff the next failure waits.
func (f *batchFiller) nextWait() time.Duration { return max(f.wait, 100*time.Millisecond) }

// backoff waits after a failed take or fetch, longer each time (up to 2s).
func (f *batchFiller) backoff(ctx context.Context) {
	d := f.nextWait()
	sleep(ctx, d)
	f.wait = min(2*d, 2*time.Second)
}

// fetchAll reads every message of one pull request.
func fetchAll(batch jetstream.MessageBatch, err error) ([]jetstream.Msg, error) {
	if err != nil {
		return nil, err
	}
	var msgs []jetstream.Msg
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	return msgs, batch.Error()
}
