package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/workers"
)

// pacerSlack is how far ahead of the schedule the pacer may be before it
// sleeps; timers are not precise below about a millisecond, so events
// leave in small groups at high rates, on schedule on average.
const pacerSlack = time.Millisecond

// runLatency publishes at a fixed rate to running consumers and records
// the time from the publish call to the handler on each side.
func runLatency(ctx context.Context, e *env, cfg Config) (Result, error) {
	res := Result{
		Scenario: Latency,
		FnMesh:   Measure{Name: "fnmesh (broker.Publish -> handler)"},
		Baseline: Measure{Name: "nats.go (js.Publish -> Consume)"},
	}
	err := doLabelled(ctx, "baseline", func(ctx context.Context) error { return latencyRaw(ctx, e, cfg, &res.Baseline) })
	if err != nil {
		return res, fmt.Errorf("latency baseline: %w", err)
	}
	err = doLabelled(ctx, "fnmesh", func(ctx context.Context) error { return latencyFnmesh(ctx, e, cfg, &res.FnMesh) })
	if err != nil {
		return res, fmt.Errorf("latency fnmesh: %w", err)
	}
	return res, nil
}

func latencyRaw(ctx context.Context, e *env, cfg Config, m *Measure) error {
	stream, subject, err := e.rawStream(ctx, "latency")
	if err != nil {
		return err
	}
	total := latencyCount(cfg)
	handled := newCounter(total)
	var lat samples
	stop, err := rawConsumers(ctx, e, cfg.Replicas, stream, "bench-raw-latency", nil, func(msg jetstream.Msg) {
		if d := msg.Data(); len(d) >= 8 {
			lat.add(time.Since(time.Unix(0, int64(binary.BigEndian.Uint64(d)))))
		}
		_ = msg.Ack()
		handled.add()
	})
	if err != nil {
		return err
	}
	defer stop()
	js, err := e.jetStream(ctx, "fnmesh-bench-raw-publisher")
	if err != nil {
		return err
	}
	body, _ := payload(cfg.Size)
	return paced(ctx, cfg, "latency baseline", handled, m, &lat, func(ctx context.Context, _ int) error {
		b := make([]byte, len(body))
		copy(b, body)
		binary.BigEndian.PutUint64(b, uint64(time.Now().UnixNano()))
		_, err := js.Publish(ctx, subject, b)
		return err
	})
}

func latencyFnmesh(ctx context.Context, e *env, cfg Config, m *Measure) error {
	fn := benchFunction("bench-latency", cfg)
	mesh := e.mesh(fn)
	client, err := e.client(ctx, "fnmesh-bench-publisher", mesh)
	if err != nil {
		return err
	}
	if err := e.ensureMesh(ctx, client, mesh); err != nil {
		return err
	}
	total := latencyCount(cfg)
	handled := newCounter(total)
	var lat samples
	h := handlerFunc(func(_ context.Context, ev event.Event) ([]event.Event, error) {
		lat.add(time.Since(ev.Time()))
		handled.add()
		return nil, nil
	})
	stop, err := runWorkers(ctx, e, mesh, &mesh.Functions[0], cfg.Replicas, h, false, workers.Hooks{})
	if err != nil {
		return err
	}
	defer stop()
	body, ctype := payload(cfg.Size)
	return paced(ctx, cfg, "latency fnmesh", handled, m, &lat, func(ctx context.Context, i int) error {
		ev := newEvent(i, ctype, body)
		ev.SetTime(time.Now())
		_, err := client.Publish(ctx, &ev)
		return err
	})
}

// latencyCount is the number of events a latency run publishes.
func latencyCount(cfg Config) int64 {
	return max(1, int64(cfg.Duration.Seconds()*float64(cfg.Rate)))
}

// paced calls publish latencyCount(cfg) times on the schedule of
// cfg.Rate, from cfg.Concurrency goroutines (so a slow publish does not
// hold back the next), waits until handled counts every event and fills m.
func paced(ctx context.Context, cfg Config, label string, handled *counter, m *Measure, lat *samples, publish func(context.Context, int) error) error {
	total := handled.target
	prog := startProgress(cfg.Progress, label, total, 0)
	defer prog.finish()
	interval := time.Second / time.Duration(cfg.Rate)
	tickets := make(chan int, cfg.Concurrency)
	var (
		fails failures
		wg    sync.WaitGroup
	)
	for range cfg.Concurrency {
		wg.Go(func() {
			for i := range tickets {
				if err := publish(ctx, i); err != nil {
					fails.add(err)
				}
			}
		})
	}
	var cpu cpuMeter
	cpu.start()
	start := time.Now()
	for i := range int(total) {
		if ahead := time.Until(start.Add(time.Duration(i) * interval)); ahead > pacerSlack {
			if !sleepCtx(ctx, ahead) {
				break
			}
		}
		if fails.n.Load() > 0 {
			break
		}
		tickets <- i
	}
	close(tickets)
	wg.Wait()
	published := time.Since(start)
	if err := fails.err("publishes", total); err != nil {
		return err
	}
	if err := handled.wait(ctx, label, stallTimeout, prog); err != nil {
		return err
	}
	cpu.stop()
	m.CPUUsPerEvent = cpu.perEvent(total)
	m.setRate(total, published)
	m.setLatency(lat)
	return nil
}
