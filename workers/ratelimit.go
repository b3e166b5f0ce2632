package workers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// RateLimit bounds the events a function starts, across all its replicas
// and nodes: at most Events per Per.
//
// The state is one key per function in the JetStream key-value bucket
// RateLimitBucket, changed only by compare-and-set (a KV Update with the
// revision read), so every replica on every node draws from one budget.
// The key holds a GCRA "theoretical arrival time": each event moves it on
// by Per/Events, and an event may start when the time is at most a small
// burst ahead of now. The burst is a tenth of Events (at least one), so
// any window of length W starts at most Events x W/Per + Events/10
// events: within 10 % over any window of 10 x Per or longer.
//
// A replica takes a token before it asks the consumer for a message, so
// events over the limit stay in the stream: they are not delivered, not
// retried and not counted as attempts. Retried events take a token too.
// The replicas' clocks are assumed to agree (to well under Per/Events).
type RateLimit struct {
	// Events is the number of events per Per (>= 1).
	Events int
	// Per is the period (>= 1ms, at most 24h).
	Per time.Duration
}

// RateLimitBucket is the key-value bucket that holds the rate limit state
// of every function (key: the function's name).
const RateLimitBucket = "fnmesh_ratelimits"

// PerSecond is the limit as events per second.
func (r RateLimit) PerSecond() float64 { return float64(r.Events) / r.Per.Seconds() }

// String is the limit as the mesh file spells it ("100/1s").
func (r RateLimit) String() string { return strconv.Itoa(r.Events) + "/" + r.Per.String() }

func (r *RateLimit) check(p *problems) {
	if r == nil {
		return
	}
	if r.Events < 1 {
		p.add([]PathStep{Key("rateLimit"), Key("events")}, "must be at least 1")
	}
	if r.Per < time.Millisecond || r.Per > MaxTimeout {
		p.add([]PathStep{Key("rateLimit"), Key("per")}, "must be between 1ms and 24h")
	}
}

// interval and tolerance of the GCRA.
func (r RateLimit) gcra() (interval, tolerance time.Duration) {
	interval = max(time.Duration(math.Round(float64(r.Per)/float64(r.Events))), 1)
	burst := max(r.Events/10, 1)
	return interval, time.Duration(burst-1) * interval
}

// limiter draws tokens of one function's global budget.
type limiter struct {
	kv        jetstream.KeyValue
	key       string
	interval  time.Duration
	tolerance time.Duration
}

// newLimiter opens (creating it when missing) the bucket of the limits.
func newLimiter(ctx context.Context, js jetstream.JetStream, fn string, r RateLimit) (*limiter, error) {
	kv, err := js.KeyValue(ctx, RateLimitBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      RateLimitBucket,
			Description: "fnmesh: rate limit state per function",
			History:     1,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, RateLimitBucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("rate limit bucket %s: %w", RateLimitBucket, err)
	}
	iv, tol := r.gcra()
	return &limiter{kv: kv, key: fn, interval: iv, tolerance: tol}, nil
}

// take waits until the budget has a token and takes as many as it holds,
// up to want (at least 1), in one compare-and-set; it returns how many it
// took. It returns an error when ctx ends or the bucket cannot be read or
// written.
func (l *limiter) take(ctx context.Context, want int) (int, error) {
	want = max(want, 1)
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		var tat int64
		var rev uint64
		e, err := l.kv.Get(ctx, l.key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return 0, fmt.Errorf("rate limit: read %s: %w", l.key, err)
		default:
			rev = e.Revision()
			tat, _ = strconv.ParseInt(string(e.Value()), 10, 64) // a bad value counts as an old one
		}
		now := time.Now().UnixNano()
		if wait := tat - int64(l.tolerance) - now; wait > 0 {
			if !sleep(ctx, time.Duration(wait)) {
				return 0, ctx.Err()
			}
			continue
		}
		// The GCRA admits token i (from 0) while
		// max(tat, now) + i*interval - tolerance <= now.
		from := max(tat, now)
		n := min(want, int((now+int64(l.tolerance)-from)/int64(l.interval))+1)
		next := strconv.AppendInt(nil, from+int64(n)*int64(l.interval), 10)
		if rev == 0 {
			_, err = l.kv.Create(ctx, l.key, next)
		} else {
			_, err = l.kv.Update(ctx, l.key, next, rev)
		}
		if err == nil {
			return n, nil
		}
		if !casConflict(err) {
			return 0, fmt.Errorf("rate limit: write %s: %w", l.key, err)
		}
		// Another replica took a token meanwhile: read again.
	}
}

// casConflict reports whether a KV Create or Update failed because the key
// changed since it was read.
func casConflict(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// limitedConsume is the consume loop of a rate-limited function: it holds
// a free slot (and takes the others that are free), takes as many tokens
// of the global budget as it holds slots and the budget allows, in one
// compare-and-set, then fetches that many messages in one pull request.
// Tokens taken while the stream is empty are kept for the next messages
// (at most concurrency per replica, taken before the window they are used
// in). It returns when ctx ends or the connection is closed.
func (w *Worker) limitedConsume(ctx, hard context.Context, cons jetstream.Consumer, inflight *sync.WaitGroup) error {
	js, err := jetstream.New(w.b.Consumers.Conn())
	if err != nil {
		return fmt.Errorf("workers: function %q: %w", w.cfg.Function, err)
	}
	var lim *limiter
	wait := 100 * time.Millisecond
	backoff := func(err error) bool {
		w.log.Warn("rate limit: cannot take a token; retrying", "error", err, "retry_in", wait)
		ok := sleep(ctx, wait)
		wait = min(2*wait, 2*time.Second)
		return ok
	}
	tokens, held := 0, 0 // tokens kept; slots held for them
	for {
		if held == 0 {
			select {
			case w.slots <- struct{}{}:
				held = 1
			case <-ctx.Done():
				return nil
			}
		}
		for more := true; more && held < cap(w.slots); {
			select {
			case w.slots <- struct{}{}:
				held++
			default:
				more = false
			}
		}
		for tokens < held {
			if lim == nil {
				lim, err = newLimiter(ctx, js, w.cfg.Function, *w.cfg.RateLimit)
			}
			var n int
			if err == nil {
				n, err = lim.take(ctx, held-tokens)
			}
			if ctx.Err() != nil {
				w.release(held)
				return nil
			}
			if err != nil {
				if w.b.Consumers.Conn().IsClosed() {
					w.release(held)
					return closedErr(w.cfg.Function)
				}
				if !backoff(err) {
					w.release(held)
					return nil
				}
				continue
			}
			tokens, wait = tokens+n, 100*time.Millisecond
			break // fetch what the tokens allow; more slots are taken next round
		}
		if w.lost.Load() {
			c, err := w.ensure(ctx)
			if err != nil {
				w.release(held)
				return nil
			}
			cons = c
		}
		fctx, cancel := context.WithTimeout(ctx, pullExpiry)
		batch, err := cons.Fetch(min(tokens, held), jetstream.FetchContext(fctx))
		var msgs []jetstream.Msg
		if err == nil {
			for m := range batch.Messages() {
				msgs = append(msgs, m)
			}
			err = batch.Error()
		}
		cancel()
		for _, msg := range msgs {
			inflight.Add(1)
			go func() {
				defer inflight.Done()
				w.settleMsg(hard, msg)
			}()
		}
		tokens, held = tokens-len(msgs), held-len(msgs)
		if len(msgs) > 0 {
			wait = 100 * time.Millisecond
			continue
		}
		// Nothing came: keep the tokens, free the slots.
		w.release(held)
		held = 0
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) {
			if w.b.Consumers.Conn().IsClosed() {
				return closedErr(w.cfg.Function)
			}
			w.fetchFailed(err)
			if !sleep(ctx, wait) {
				return nil
			}
			wait = min(2*wait, 2*time.Second)
		}
	}
}

// tokenPool hands out the tokens of a function's global budget to the
// goroutines of one replica that each start one event at a time (the key
// runners of an ordered function, or the collector of its batches). One
// of them at a time takes tokens for all that wait, in one
// compare-and-set; tokens left over (a waiter that was served meanwhile)
// are kept for the next start, at most as many as the replica has handler
// slots, since each waiter holds one (or, for ordered batches, the room
// left in the batch being filled).
type tokenPool struct {
	w       *Worker
	waiting atomic.Int32
	mu      sync.Mutex // held by the goroutine that takes for all
	lim     *limiter   // opened at the first take
	kept    int
}

// get waits for one token, asking the budget for as many as there are
// waiters, or want when more. It returns an error only when ctx ends or
// the connection is closed; a failing bucket is retried with a backoff.
func (p *tokenPool) get(ctx context.Context, want int) error {
	p.waiting.Add(1)
	defer p.waiting.Add(-1)
	p.mu.Lock()
	defer p.mu.Unlock()
	wait := 100 * time.Millisecond
	for p.kept == 0 {
		var err error
		if p.lim == nil {
			var js jetstream.JetStream
			if js, err = jetstream.New(p.w.b.Consumers.Conn()); err == nil {
				p.lim, err = newLimiter(ctx, js, p.w.cfg.Function, *p.w.cfg.RateLimit)
			}
		}
		var n int
		if err == nil {
			n, err = p.lim.take(ctx, max(int(p.waiting.Load()), want))
		}
		if cerr := ctx.Err(); cerr != nil {
			p.kept += n
			return cerr
		}
		if err != nil {
			if p.w.b.Consumers.Conn().IsClosed() {
				return closedErr(p.w.cfg.Function)
			}
			p.w.log.Warn("rate limit: cannot take a token; retrying", "error", err, "retry_in", wait)
			if !sleep(ctx, wait) {
				return ctx.Err()
			}
			wait = min(2*wait, 2*time.Second)
			continue
		}
		p.kept += n
	}
	p.kept--
	return nil
}
