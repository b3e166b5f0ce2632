package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/workers"
)

// RateLimitWindow is the window the rate limit scenario checks the limit
// over (the "any 10 s window").
const RateLimitWindow = 10 * time.Second

// RateLimitReport is what the rate limit scenario measured.
type RateLimitReport struct {
	// Limit is the function's rateLimit in events per second (--rate).
	Limit int `json:"limit"`
	// MaxInWindow is the most handler starts in any sliding
	// RateLimitWindow, all replicas together; Allowed is the limit over
	// that window plus 10 %.
	MaxInWindow int  `json:"max_in_window"`
	Allowed     int  `json:"allowed"`
	Held        bool `json:"held"`
	// Backlog is how many events waited in the stream at the start.
	Backlog int `json:"backlog"`
	// Duplicates counts events whose handler started more than once.
	Duplicates int `json:"duplicates"`
	// Failed counts handler runs that did not end ok (none is expected).
	Failed int64 `json:"failed"`
}

// runRateLimit publishes a backlog of twice what the limit lets through in
// cfg.Duration, runs cfg.Replicas workers of a function with rateLimit
// cfg.Rate/1s (each on its own connection, standing for replicas on other
// nodes) for cfg.Duration, and reports the most handler starts in any
// sliding 10 s window against the limit + 10 %, the rate achieved, and
// events run twice. Baseline is the limit itself.
func runRateLimit(ctx context.Context, e *env, cfg Config) (Result, error) {
	res := Result{
		Scenario: RateLimit,
		FnMesh:   Measure{Name: "fnmesh rateLimit (all replicas)"},
		Baseline: Measure{Name: "the limit"},
	}
	fn := benchFunction("bench-ratelimit", cfg)
	fn.RateLimit = &workers.RateLimit{Events: cfg.Rate, Per: time.Second}
	mesh := e.mesh(fn)
	client, err := e.client(ctx, "fnmesh-bench-publisher", mesh)
	if err != nil {
		return res, err
	}
	if err := e.ensureMesh(ctx, client, mesh); err != nil {
		return res, err
	}
	backlog := 2 * cfg.Rate * int(cfg.Duration/time.Second)
	body, ctype := payload(cfg.Size)
	prog := startProgress(cfg.Progress, "ratelimit: backlog", int64(backlog), 0)
	var lat samples
	if _, err := countLoop(ctx, cfg.Concurrency, backlog, func(ctx context.Context, i int) error {
		ev := newEvent(i, ctype, body)
		_, err := client.Publish(ctx, &ev)
		return err
	}, &lat, prog); err != nil {
		prog.finish()
		return res, err
	}
	prog.finish()

	var (
		mu     sync.Mutex
		starts []time.Time
		runs   = map[string]int{}
		failed int64
	)
	h := handlerFunc(func(_ context.Context, ev event.Event) ([]event.Event, error) {
		mu.Lock()
		starts = append(starts, time.Now())
		runs[ev.ID()]++
		mu.Unlock()
		return nil, nil
	})
	var cpu cpuMeter
	cpu.start()
	start := time.Now()
	stop, err := runWorkers(ctx, e, mesh, &mesh.Functions[0], cfg.Replicas, h, false, workers.Hooks{
		Deliver: func(ctx context.Context, _ string, _ nats.Header, _ *event.Event, _ uint64) (context.Context, func(string, error)) {
			return ctx, func(outcome string, _ error) {
				if outcome != workers.OutcomeOK {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		},
	})
	if err != nil {
		return res, err
	}
	wait := startProgress(cfg.Progress, "ratelimit: at the limit", int64(cfg.Duration/time.Second), 0)
	t := time.NewTicker(time.Second)
	for time.Since(start) < cfg.Duration {
		select {
		case <-ctx.Done():
			t.Stop()
			stop()
			wait.finish()
			return res, ctx.Err()
		case <-t.C:
			wait.set(int64(time.Since(start) / time.Second))
		}
	}
	t.Stop()
	stop()
	took := time.Since(start)
	cpu.stop()
	wait.finish()

	mu.Lock()
	defer mu.Unlock()
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	rep := &RateLimitReport{Limit: cfg.Rate, Backlog: backlog, Failed: failed,
		MaxInWindow: maxStartsIn(starts, RateLimitWindow),
		Allowed:     cfg.Rate * int(RateLimitWindow/time.Second) * 110 / 100}
	rep.Held = rep.MaxInWindow <= rep.Allowed
	for _, n := range runs {
		if n > 1 {
			rep.Duplicates++
		}
	}
	res.RateLimit = rep
	n := int64(len(starts))
	res.FnMesh.setRate(n, took)
	res.FnMesh.CPUUsPerEvent = cpu.perEvent(n)
	res.Baseline.Count = int64(cfg.Rate) * int64(took/time.Second)
	res.Baseline.Seconds = round3(took.Seconds())
	res.Baseline.Rate = float64(cfg.Rate)
	if n == 0 || len(starts) >= backlog {
		return res, fmt.Errorf("bench: ratelimit: %d handler starts of a backlog of %d: the limit was not reached: %w", n, backlog, ErrIncomplete)
	}
	return res, nil
}

// maxStartsIn is the most times of sorted ts in any window of length w.
func maxStartsIn(ts []time.Time, w time.Duration) int {
	best, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}
