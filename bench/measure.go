package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// system is one way to publish and consume.
type system interface {
	name() string
	// setup creates the system's stream and connections.
	setup(ctx context.Context) error
	// publish stores event i with payload, waiting for the broker's ack.
	publish(ctx context.Context, i int, payload []byte) error
	// consume starts the consumers; seen is called once per handled event
	// with its payload. stop ends them.
	consume(ctx context.Context, seen func(payload []byte)) (stop func(), err error)
	// reset makes the next consume start on a fresh consumer of a fresh
	// stream (the latency phase follows the throughput phase).
	reset(ctx context.Context) error
	close()
}

// result is what one system measured.
type result struct {
	System      string  `json:"system"`
	PublishRate float64 `json:"publish_rate"`
	ConsumeRate float64 `json:"consume_rate"`
	// Publish-to-handler latency at a fixed rate, in milliseconds.
	P50Ms float64 `json:"p50_ms"`
	P90Ms float64 `json:"p90_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

func measure(ctx context.Context, sys system, s settings) (result, error) {
	r := result{System: sys.name()}
	defer sys.close()
	if err := sys.setup(ctx); err != nil {
		return r, err
	}
	body := make([]byte, s.size)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}

	// Throughput: publish everything, then consume everything.
	start := time.Now()
	if err := parallel(ctx, s.concurrency, s.count, func(ctx context.Context, i int) error {
		return sys.publish(ctx, i, body)
	}); err != nil {
		return r, fmt.Errorf("publish: %w", err)
	}
	r.PublishRate = perSecond(s.count, time.Since(start))
	var n atomic.Int64
	done := make(chan struct{})
	start = time.Now()
	stop, err := sys.consume(ctx, func([]byte) {
		if n.Add(1) == int64(s.count) {
			close(done)
		}
	})
	if err != nil {
		return r, fmt.Errorf("consume: %w", err)
	}
	err = wait(ctx, done, &n, s.count)
	r.ConsumeRate = perSecond(s.count, time.Since(start))
	stop()
	if err != nil {
		return r, err
	}

	// Latency: a fixed rate to a running consumer.
	if err := sys.reset(ctx); err != nil {
		return r, err
	}
	total := int(s.duration.Seconds() * float64(s.rate))
	var (
		mu   sync.Mutex
		lats = make([]time.Duration, 0, total)
		m    atomic.Int64
	)
	done = make(chan struct{})
	stop, err = sys.consume(ctx, func(p []byte) {
		d := time.Since(time.Unix(0, int64(binary.BigEndian.Uint64(p))))
		mu.Lock()
		lats = append(lats, d)
		mu.Unlock()
		if m.Add(1) == int64(total) {
			close(done)
		}
	})
	if err != nil {
		return r, fmt.Errorf("consume: %w", err)
	}
	defer stop()
	interval := time.Second / time.Duration(s.rate)
	t0 := time.Now()
	err = parallel(ctx, s.concurrency, total, func(ctx context.Context, i int) error {
		if wait := time.Until(t0.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		p := slices.Clone(body)
		binary.BigEndian.PutUint64(p, uint64(time.Now().UnixNano()))
		return sys.publish(ctx, i, p)
	})
	if err != nil {
		return r, fmt.Errorf("latency publish: %w", err)
	}
	if err := wait(ctx, done, &m, total); err != nil {
		return r, err
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(lats)
	r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs = pct(lats, 0.5), pct(lats, 0.9), pct(lats, 0.99), pct(lats, 1)
	return r, nil
}

// parallel calls f(i) for i in [0, n) from workers goroutines, in order
// of i, and returns the first error.
func parallel(ctx context.Context, workers, n int, f func(context.Context, int) error) error {
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// wait waits for done, failing when no event arrives for 30s.
func wait(ctx context.Context, done <-chan struct{}, n *atomic.Int64, total int) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last, since := n.Load(), time.Now()
	for {
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if cur := n.Load(); cur != last {
				last, since = cur, time.Now()
			} else if time.Since(since) > 30*time.Second {
				return fmt.Errorf("%d of %d events handled, none in the last 30s", cur, total)
			}
		}
	}
}

// pct is the nearest-rank percentile q of sorted ds, in milliseconds.
func pct(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	i := min(max(int(math.Ceil(q*float64(len(ds))))-1, 0), len(ds)-1)
	return math.Round(float64(ds[i])/float64(time.Microsecond)) / 1000
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return math.Round(float64(n) / d.Seconds())
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return math.Round(a/b*1000) / 1000
}
