package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// failures keeps the first error of many goroutines and counts them all.
type failures struct {
	n     atomic.Int64
	mu    sync.Mutex
	first error
}

func (f *failures) add(err error) {
	if f.n.Add(1) == 1 {
		f.mu.Lock()
		f.first = err
		f.mu.Unlock()
	}
}

// err is nil when nothing failed, else an ErrIncomplete naming the count
// and the first error.
func (f *failures) err(what string, of int64) error {
	n := f.n.Load()
	if n == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Errorf("bench: %s: %d of %d failed: %w: first: %w", what, n, of, ErrIncomplete, f.first)
}

// closedLoop calls op from workers goroutines, each waiting for its call
// to return before the next, for d (after a warm-up of warm that is not
// counted), recording the latency of each call. A call is counted when it
// returns inside the window, whenever it began: a call begun in the
// warm-up that returns in the window did part of the window's work, and
// with calls lasting about as long as the window, counting by start would
// leave those out while charging their time and CPU. It returns the calls
// counted and the window's length.
func closedLoop(ctx context.Context, workers int, warm, d time.Duration, op func(ctx context.Context) error, lat *samples, prog *progress, cpu *cpuMeter) (int64, time.Duration, error) {
	var (
		counting atomic.Bool
		closed   atomic.Bool
		count    atomic.Int64
		attempts atomic.Int64
		fails    failures
		wg       sync.WaitGroup
	)
	stop := make(chan struct{})
	for range workers {
		wg.Go(func() {
			local := make([]time.Duration, 0, 1024)
			defer func() { lat.merge(local) }()
			for {
				select {
				case <-stop:
					return
				default:
				}
				t0 := time.Now()
				err := op(ctx)
				took := time.Since(t0)
				attempts.Add(1) // counted or not: the failures are of all of them
				if err != nil {
					fails.add(err)
					return
				}
				if !counting.Load() || closed.Load() {
					continue
				}
				count.Add(1)
				local = append(local, took)
				prog.add(1)
			}
		})
	}
	halt := func() { close(stop); wg.Wait() }
	if !sleepCtx(ctx, warm) {
		halt()
		return 0, 0, ctx.Err()
	}
	cpu.start()
	counting.Store(true)
	start := time.Now()
	sleepCtx(ctx, d)
	closed.Store(true)
	took := time.Since(start)
	cpu.stop()
	halt()
	if err := fails.err("requests", max(attempts.Load(), 1)); err != nil {
		return 0, 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	return count.Load(), took, nil
}

// countLoop calls op(i) for i in [0, n) from workers goroutines, recording
// the latency of each call. It returns the time it took.
func countLoop(ctx context.Context, workers, n int, op func(ctx context.Context, i int) error, lat *samples, prog *progress) (time.Duration, error) {
	var (
		next  atomic.Int64
		fails failures
		wg    sync.WaitGroup
	)
	start := time.Now()
	for range min(workers, n) {
		wg.Go(func() {
			local := make([]time.Duration, 0, n/workers+1)
			defer func() { lat.merge(local) }()
			for ctx.Err() == nil && fails.n.Load() == 0 {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := op(ctx, i); err != nil {
					fails.add(err)
					return
				}
				local = append(local, time.Since(t0))
				prog.add(1)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if err := fails.err("publishes", int64(n)); err != nil {
		return 0, err
	}
	return took, ctx.Err()
}

// counter counts handled events and signals when a target is reached.
type counter struct {
	n      atomic.Int64
	target int64
	done   chan struct{}
	once   sync.Once
	last   atomic.Int64 // unix nanoseconds of the last count
}

func newCounter(target int64) *counter {
	return &counter{target: target, done: make(chan struct{})}
}

func (c *counter) add() {
	c.last.Store(time.Now().UnixNano())
	if c.n.Add(1) >= c.target {
		c.once.Do(func() { close(c.done) })
	}
}

// wait blocks until the target is reached, ctx ends, or no event was
// counted for stall.
func (c *counter) wait(ctx context.Context, what string, stall time.Duration, prog *progress) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	seen, since := c.n.Load(), time.Now()
	for {
		select {
		case <-c.done:
			prog.set(c.n.Load())
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			n := c.n.Load()
			prog.set(n)
			if n != seen {
				seen, since = n, time.Now()
				continue
			}
			if time.Since(since) > stall {
				return fmt.Errorf("bench: %s: %d of %d events handled, none in the last %s: %w", what, n, c.target, stall, ErrIncomplete)
			}
		}
	}
}

// sleepCtx waits for d or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// errStopped is returned by a consumer side that was stopped before it
// was ready.
var errStopped = errors.New("stopped")
