package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
)

// delayLead is how far after the start the first event is due: the
// publishing of every event must end before the first is due, so that
// publishing does not queue behind deliveries. A second plus a
// millisecond per event, at most 10 s.
func delayLead(count int) time.Duration {
	return min(time.Second+time.Duration(count)*time.Millisecond, 10*time.Second)
}

// delayGrace is how long after the last event is due the scenario waits
// for stragglers.
const delayGrace = 30 * time.Second

// runDelay schedules cfg.Count events with deliverat spread evenly over
// cfg.Duration (starting delayLead after the start) through the broker
// client, as POST /events and function outputs store them, on a stream
// with schedules, and measures how late each is delivered on the event
// subjects: its arrival at an ordered consumer minus its deliverat. FnMesh
// holds the lateness percentiles; Baseline is the schedule itself
// (lateness 0) at the same rate.
func runDelay(ctx context.Context, e *env, cfg Config) (Result, error) {
	res := Result{
		Scenario: Delay,
		FnMesh:   Measure{Name: "fnmesh deliverat (JetStream schedules)"},
		Baseline: Measure{Name: "the schedule (lateness 0)"},
	}
	nc, err := e.connect(ctx, "fnmesh-bench-delay")
	if err != nil {
		return res, err
	}
	prefix := "benchdelay_" + e.id
	client, err := broker.New(nc, broker.Config{SubjectPrefix: prefix}, broker.WithLogger(e.log))
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	stream := "BENCH_DELAY_" + e.id
	e.track(stream)
	if err := client.EnsureStreams(ctx, broker.StreamSpec{Name: stream, Subjects: []string{prefix + ".>"}, Schedules: true}); err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	js, err := e.jetStream(ctx, "fnmesh-bench-delay-consumer")
	if err != nil {
		return res, err
	}
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{prefix + ".>"}})
	if err != nil {
		return res, fmt.Errorf("bench: consumer: %w", err)
	}
	var (
		lat      samples
		got      atomic.Int64
		early    atomic.Int64
		done     = make(chan struct{})
		doneOnce sync.Once
	)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		now := time.Now()
		at, err := time.Parse(time.RFC3339Nano, m.Headers().Get("ce-deliverat"))
		if err != nil {
			return
		}
		if late := now.Sub(at); late < 0 {
			early.Add(1)
		} else {
			lat.add(late)
		}
		if got.Add(1) == int64(cfg.Count) {
			doneOnce.Do(func() { close(done) })
		}
	})
	if err != nil {
		return res, fmt.Errorf("bench: consume: %w", err)
	}
	defer cc.Stop()

	data, ctype := payload(cfg.Size)
	start := time.Now().Add(delayLead(cfg.Count))
	step := cfg.Duration / time.Duration(cfg.Count)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Concurrency)
	prog := startProgress(cfg.Progress, "delay: scheduling", int64(cfg.Count), 0)
	var cpu cpuMeter
	cpu.start()
	for range cfg.Concurrency {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(cfg.Count) {
					return
				}
				ev := event.New()
				ev.SetID(fmt.Sprintf("d-%d", i))
				ev.SetSource("/fnmesh/bench")
				ev.SetType(benchType)
				_ = ev.SetData(ctype, data)
				ev.SetExtension(broker.DeliverAtExtension, start.Add(time.Duration(i)*step).UTC().Format(time.RFC3339Nano))
				if _, err := client.Publish(ctx, &ev); err != nil {
					errs <- fmt.Errorf("bench: schedule event %d: %w", i, err)
					return
				}
				prog.add(1)
			}
		})
	}
	wg.Wait()
	prog.finish()
	close(errs)
	if err := <-errs; err != nil {
		return res, err
	}
	if time.Now().After(start) {
		e.log.Warn("bench delay: scheduling took past the first deliverat; lateness includes publishing", "over", time.Since(start))
	}
	wait := startProgress(cfg.Progress, "delay: delivering", int64(cfg.Count), 0)
	stopWait := make(chan struct{})
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopWait:
				return
			case <-t.C:
				wait.set(got.Load())
			}
		}
	}()
	deadline := time.NewTimer(time.Until(start.Add(cfg.Duration + delayGrace)))
	defer deadline.Stop()
	select {
	case <-done:
	case <-deadline.C:
	case <-ctx.Done():
		close(stopWait)
		wait.finish()
		return res, ctx.Err()
	}
	close(stopWait)
	wait.finish()
	cpu.stop()
	res.FnMesh.Count = got.Load()
	res.FnMesh.Seconds = round3(cfg.Duration.Seconds())
	res.FnMesh.Rate = round1(float64(res.FnMesh.Count) / cfg.Duration.Seconds())
	res.FnMesh.CPUUsPerEvent = cpu.perEvent(res.FnMesh.Count)
	res.FnMesh.setLatency(&lat)
	res.Baseline.Count = int64(cfg.Count)
	res.Baseline.Seconds = res.FnMesh.Seconds
	res.Baseline.Rate = round1(float64(cfg.Count) / cfg.Duration.Seconds())
	res.Early = early.Load()
	if res.FnMesh.Count < int64(cfg.Count) {
		return res, fmt.Errorf("bench: delay: %d of %d events delivered within %s after the last was due: %w", res.FnMesh.Count, cfg.Count, delayGrace, ErrIncomplete)
	}
	return res, nil
}
