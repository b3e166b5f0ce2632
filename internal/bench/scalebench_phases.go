package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fnmesh/fnmesh/workers/scale"
)

// coldStart publishes one event with the scaler running from zero replicas
// and waits for its ack.
func (b *scaleBench) coldStart(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.PhaseTimeout)
	defer cancel()
	stop := b.runScaler(ctx, 0, nil)
	defer stop()
	floor, err := b.ackFloor(ctx)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := b.publish(ctx, 1); err != nil {
		return 0, err
	}
	if err := b.waitAcked(ctx, floor+1); err != nil {
		return 0, fmt.Errorf("measure scale: cold start: %w", err)
	}
	d := time.Since(start)
	b.log.Info("measure scale: cold start", "function", b.fn.Function, "duration", d)
	return d, nil
}

// scaleUp publishes a burst to one running replica with the scaler at work.
func (b *scaleBench) scaleUp(ctx context.Context, rep *ScaleReport) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.PhaseTimeout)
	defer cancel()
	if err := b.scaleTo(ctx, 1, b.cfg.PhaseTimeout); err != nil {
		return err
	}
	before, err := b.cfg.Runtime.List(ctx, b.fn.Function)
	if err != nil {
		return fmt.Errorf("measure scale: %w", err)
	}
	known := map[string]bool{}
	for _, r := range before {
		known[r.ID] = true
	}
	b.drainAcks()
	var (
		mu      sync.Mutex
		maxSeen int
	)
	stop := b.runScaler(ctx, 1, func(d scale.Decision) {
		mu.Lock()
		maxSeen = max(maxSeen, d.To)
		mu.Unlock()
	})
	defer stop()
	floor, err := b.ackFloor(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	published := make(chan error, 1)
	go func() { published <- b.publish(ctx, b.cfg.Events) }()

	// The first new replica to start, then (if announced) to ack.
	var startedAt time.Time
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for startedAt.IsZero() {
		select {
		case err := <-published:
			if err != nil {
				return err
			}
			published = nil
		case <-t.C:
			reps, err := b.cfg.Runtime.List(ctx, b.fn.Function)
			if err != nil {
				return fmt.Errorf("measure scale: %w", err)
			}
			for _, r := range reps {
				if !known[r.ID] {
					startedAt = time.Now()
				}
			}
		case <-ctx.Done():
			return fmt.Errorf("measure scale: no replica was added for a burst of %d events: %w", b.cfg.Events, ctx.Err())
		}
	}
	rep.ScaleUpStart = startedAt.Sub(start)
	if published != nil {
		if err := <-published; err != nil {
			return err
		}
	}
	if b.cfg.AckSubject != "" {
	wait:
		for {
			select {
			case id := <-b.acks:
				if !known[id] {
					rep.ScaleUpFirstAck = time.Since(start)
					break wait
				}
			case <-time.After(10 * time.Second):
				b.log.Warn("measure scale: no first-ack announcement from a new replica", "subject", b.cfg.AckSubject)
				break wait
			case <-ctx.Done():
				return fmt.Errorf("measure scale: scale-up: %w", ctx.Err())
			}
		}
	}
	if err := b.waitAcked(ctx, floor+uint64(b.cfg.Events)); err != nil {
		return fmt.Errorf("measure scale: scaled drain: %w", err)
	}
	rep.DrainScaled = time.Since(start)
	mu.Lock()
	rep.MaxReplicas = maxSeen
	mu.Unlock()
	b.log.Info("measure scale: scaled drain", "function", b.fn.Function, "duration", rep.DrainScaled, "max_replicas", rep.MaxReplicas)
	return nil
}

// single publishes the burst to one fixed replica.
func (b *scaleBench) single(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.PhaseTimeout)
	defer cancel()
	if err := b.scaleTo(ctx, 1, b.cfg.PhaseTimeout); err != nil {
		return 0, err
	}
	floor, err := b.ackFloor(ctx)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := b.publish(ctx, b.cfg.Events); err != nil {
		return 0, err
	}
	if err := b.waitAcked(ctx, floor+uint64(b.cfg.Events)); err != nil {
		return 0, fmt.Errorf("measure scale: single drain: %w", err)
	}
	d := time.Since(start)
	b.log.Info("measure scale: single-replica drain", "function", b.fn.Function, "duration", d)
	return d, nil
}
