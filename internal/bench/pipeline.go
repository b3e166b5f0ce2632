package bench

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/internal/history"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// historyRounds is how often each side of pipeline --history runs.
const historyRounds = 3

// median is the measure of median rate.
func median(ms []Measure) Measure {
	slices.SortFunc(ms, func(a, b Measure) int { return cmp.Compare(a.Rate, b.Rate) })
	return ms[len(ms)/2]
}

// stallTimeout fails a consume phase that makes no progress for this long.
const stallTimeout = 30 * time.Second

// runPipeline publishes then consumes Count events on each side.
func runPipeline(ctx context.Context, e *env, cfg Config) (Result, error) {
	res := Result{
		Scenario:          Pipeline,
		FnMesh:            Measure{Name: "fnmesh (broker.Publish, workers)"},
		Baseline:          Measure{Name: "nats.go (js.Publish, Consume+Ack)"},
		BaselineConfirmed: &Measure{Name: "nats.go (Consume+DoubleAck)"},
		BaselineWindowed:  &Measure{Name: "nats.go (Consume+Ack, window = concurrency)"},
	}
	err := doLabelled(ctx, "baseline", func(ctx context.Context) error {
		return pipelineRaw(ctx, e, cfg, &res.Baseline, res.BaselineConfirmed, res.BaselineWindowed)
	})
	if err != nil {
		return res, fmt.Errorf("pipeline baseline: %w", err)
	}
	if cfg.History {
		// The two sides alternate, historyRounds times each, and each
		// reports its median round: on a shared machine two runs one
		// after the other differ by more than what is measured.
		res.FnMeshHistory = &Measure{Name: "fnmesh, run history on"}
		var off, on []Measure
		for round := range historyRounds {
			for _, rec := range []bool{false, true} {
				m := Measure{Name: res.FnMesh.Name}
				if rec {
					m.Name = res.FnMeshHistory.Name
				}
				err := doLabelled(ctx, fmt.Sprintf("fnmesh-history-%v-%d", rec, round), func(ctx context.Context) error {
					return pipelineFnmesh(ctx, e, cfg, rec, fmt.Sprintf("-r%d", round), &m)
				})
				if err != nil {
					return res, fmt.Errorf("pipeline fnmesh (history %v): %w", rec, err)
				}
				if rec {
					on = append(on, m)
				} else {
					off = append(off, m)
				}
			}
		}
		var lost uint64
		for _, m := range on {
			lost += m.HistoryLost
		}
		res.FnMesh, *res.FnMeshHistory = median(off), median(on)
		res.FnMeshHistory.HistoryLost = lost // of all the rounds
		return res, nil
	}
	err = doLabelled(ctx, "fnmesh", func(ctx context.Context) error {
		return pipelineFnmesh(ctx, e, cfg, false, "", &res.FnMesh)
	})
	if err != nil {
		return res, fmt.Errorf("pipeline fnmesh: %w", err)
	}
	return res, nil
}

// pipelineRaw is the baseline: js.Publish with PubAck, then Replicas
// connections consuming one durable pull consumer with Consume and Ack.
// The same events are then consumed again through a second consumer with
// every ack confirmed by the server (DoubleAck), Concurrency acks in
// flight per connection, into confirmed: a reference point, not what
// fnmesh does (its worker acks without a confirmation round trip, see
// docs/ARCHITECTURE.md). Last the events are consumed a third time
// with Consume+Ack held to Concurrency messages per connection
// (PullMaxMessages, with the worker's 5 s expiry and 2 s heartbeat), into
// windowed: the window a worker keeps, so that no message waits in the
// client beyond its handler slots.
func pipelineRaw(ctx context.Context, e *env, cfg Config, m, confirmed, windowed *Measure) error {
	stream, subject, err := e.rawStream(ctx, "pipeline")
	if err != nil {
		return err
	}
	js, err := e.jetStream(ctx, "fnmesh-bench-raw-publisher")
	if err != nil {
		return err
	}
	body, _ := payload(cfg.Size)
	var lat samples
	var pubCPU cpuMeter
	prog := startProgress(cfg.Progress, "pipeline baseline: publish", int64(cfg.Count), 0)
	pubCPU.start()
	took, err := countLoop(ctx, cfg.Concurrency, cfg.Count, func(ctx context.Context, _ int) error {
		_, err := js.Publish(ctx, subject, body)
		return err
	}, &lat, prog)
	pubCPU.stop()
	prog.finish()
	if err != nil {
		return err
	}
	m.PublishRate = round1(perSecond(int64(cfg.Count), took))
	m.PublishCPUUsPerEvent = pubCPU.perEvent(int64(cfg.Count))
	m.setLatency(&lat)

	ack := func(msg jetstream.Msg, done func()) {
		_ = msg.Ack()
		done()
	}
	took, cpu, err := rawConsume(ctx, e, cfg, stream, "bench-raw", "pipeline baseline: consume", nil, ack)
	if err != nil {
		return err
	}
	m.setRate(int64(cfg.Count), took)
	m.CPUUsPerEvent = cpu.perEvent(int64(cfg.Count))
	m.WritesPerEvent = cpu.writesPerEvent(int64(cfg.Count))

	// One slot per ack in flight on each connection, as a worker's concurrency.
	slots := make([]chan struct{}, cfg.Replicas)
	for i := range slots {
		slots[i] = make(chan struct{}, cfg.Concurrency)
	}
	var next atomic.Int64
	took, cpu, err = rawConsume(ctx, e, cfg, stream, "bench-raw-confirmed", "pipeline baseline: confirmed acks", nil, func(msg jetstream.Msg, done func()) {
		sem := slots[int(next.Add(1))%len(slots)]
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			if err := msg.DoubleAck(ctx); err == nil {
				done()
			}
		}()
	})
	if err != nil {
		return err
	}
	confirmed.setRate(int64(cfg.Count), took)
	confirmed.CPUUsPerEvent = cpu.perEvent(int64(cfg.Count))
	confirmed.WritesPerEvent = cpu.writesPerEvent(int64(cfg.Count))

	took, cpu, err = rawConsume(ctx, e, cfg, stream, "bench-raw-windowed", "pipeline baseline: window = concurrency",
		[]jetstream.PullConsumeOpt{jetstream.PullMaxMessages(cfg.Concurrency), jetstream.PullExpiry(5 * time.Second), jetstream.PullHeartbeat(2 * time.Second)}, ack)
	if err != nil {
		return err
	}
	windowed.setRate(int64(cfg.Count), took)
	windowed.CPUUsPerEvent = cpu.perEvent(int64(cfg.Count))
	windowed.WritesPerEvent = cpu.writesPerEvent(int64(cfg.Count))
	return nil
}

// rawConsume consumes the Count events of stream with a new durable
// consumer from Replicas connections; handle calls done once per event
// settled; opts are the options of each connection's Consume (nats.go's
// defaults when none). It returns the time from creating the consumer to
// the last done and the CPU time spent meanwhile.
func rawConsume(ctx context.Context, e *env, cfg Config, stream, name, label string, opts []jetstream.PullConsumeOpt, handle func(msg jetstream.Msg, done func())) (time.Duration, cpuMeter, error) {
	prog := startProgress(cfg.Progress, label, int64(cfg.Count), 0)
	defer prog.finish()
	handled := newCounter(int64(cfg.Count))
	var cpu cpuMeter
	cpu.start()
	start := time.Now()
	stop, err := rawConsumers(ctx, e, cfg.Replicas, stream, name, opts, func(msg jetstream.Msg) { handle(msg, handled.add) })
	if err != nil {
		return 0, cpu, err
	}
	defer stop()
	if err := handled.wait(ctx, label, stallTimeout, prog); err != nil {
		return 0, cpu, err
	}
	took := time.Since(start)
	cpu.stop()
	return took, cpu, nil
}

// rawConsumers creates a durable pull consumer on stream and consumes it
// from n connections with Consume and opts (nats.go's defaults when none).
// stop ends the consumers and flushes their acks.
func rawConsumers(ctx context.Context, e *env, n int, stream, name string, opts []jetstream.PullConsumeOpt, handle func(jetstream.Msg)) (stop func(), err error) {
	_, err = e.admin.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable:   name,
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   workers.DefaultAckWait,
	})
	if err != nil {
		return nil, fmt.Errorf("bench: consumer %s: %w", name, err)
	}
	var ccs []jetstream.ConsumeContext
	var ncs []*nats.Conn
	stop = func() {
		for _, cc := range ccs {
			cc.Stop()
		}
		for _, nc := range ncs {
			_ = nc.Flush()
		}
	}
	for r := range n {
		nc, err := e.connect(ctx, "fnmesh-bench-raw-consumer-"+strconv.Itoa(r))
		if err != nil {
			stop()
			return nil, err
		}
		ncs = append(ncs, nc)
		js, err := jetstream.New(nc)
		if err != nil {
			stop()
			return nil, fmt.Errorf("bench: %w", err)
		}
		cons, err := js.Consumer(ctx, stream, name)
		if err != nil {
			stop()
			return nil, fmt.Errorf("bench: consumer %s: %w", name, err)
		}
		cc, err := cons.Consume(handle, opts...)
		if err != nil {
			stop()
			return nil, fmt.Errorf("bench: consume %s: %w", name, err)
		}
		ccs = append(ccs, cc)
	}
	return stop, nil
}

// pipelineFnmesh publishes through broker.Client and consumes with
// Replicas in-process workers, each on its own connection.
func pipelineFnmesh(ctx context.Context, e *env, cfg Config, withHistory bool, tag string, m *Measure) error {
	var mesh *mesh
	if withHistory {
		mesh = e.historyMesh(benchFunction("bench-pipeline-history"+tag, cfg))
	} else {
		mesh = e.mesh(benchFunction("bench-pipeline"+tag, cfg))
	}
	client, err := e.client(ctx, "fnmesh-bench-publisher", mesh)
	if err != nil {
		return err
	}
	if err := e.ensureMesh(ctx, client, mesh); err != nil {
		return err
	}
	body, ctype := payload(cfg.Size)
	var lat samples
	var pubCPU cpuMeter
	prog := startProgress(cfg.Progress, "pipeline fnmesh: publish", int64(cfg.Count), 0)
	pubCPU.start()
	took, err := countLoop(ctx, cfg.Concurrency, cfg.Count, func(ctx context.Context, i int) error {
		ev := newEvent(i, ctype, body)
		_, err := client.Publish(ctx, &ev)
		return err
	}, &lat, prog)
	pubCPU.stop()
	prog.finish()
	if err != nil {
		return err
	}
	m.PublishRate = round1(perSecond(int64(cfg.Count), took))
	m.PublishCPUUsPerEvent = pubCPU.perEvent(int64(cfg.Count))
	m.setLatency(&lat)

	prog = startProgress(cfg.Progress, "pipeline fnmesh: consume", int64(cfg.Count), 0)
	defer prog.finish()
	handled := newCounter(int64(cfg.Count))
	var cpu cpuMeter
	cpu.start()
	start := time.Now()
	stop, err := runWorkers(ctx, e, mesh, &mesh.Functions[0], cfg.Replicas, noop, withHistory, workers.Hooks{
		Deliver: func(ctx context.Context, _ string, _ nats.Header, _ *event.Event, _ uint64) (context.Context, func(string, error)) {
			return ctx, func(outcome string, _ error) {
				if outcome == workers.OutcomeOK {
					handled.add()
				}
			}
		},
	})
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	if err := handled.wait(ctx, "fnmesh consume", stallTimeout, prog); err != nil {
		return err
	}
	m.setRate(int64(cfg.Count), time.Since(start))
	cpu.stop()
	m.CPUUsPerEvent = cpu.perEvent(int64(cfg.Count))
	m.WritesPerEvent = cpu.writesPerEvent(int64(cfg.Count))
	stopped = true
	m.HistoryLost = stop()
	return nil
}

// benchFunction declares the function the workers run: the benchmark's
// event type, Concurrency events in flight, up to Replicas replicas,
// from the first stored event (the pipeline publishes before the workers
// start).
func benchFunction(name string, cfg Config) workers.Config {
	return workers.Config{
		Function:    name,
		StartFrom:   workers.StartAll,
		Filters:     []workers.FilterSpec{{Exact: map[string]string{"type": benchType}}},
		Concurrency: cfg.Concurrency,
		MaxReplicas: scale.Params{Max: cfg.Replicas}.WithDefaults().Max,
	}
}

// newEvent is benchmark event number i.
func newEvent(i int, ctype string, data []byte) event.Event {
	ev := event.New()
	ev.SetID(strconv.Itoa(i))
	ev.SetSource("/fnmesh/bench")
	ev.SetType(benchType)
	ev.SetDataContentType(ctype)
	ev.DataEncoded = data
	return ev
}

// noop is the handler of the pipeline and latency scenarios.
var noop workers.Handler = handlerFunc(func(context.Context, event.Event) ([]event.Event, error) { return nil, nil })

// handlerFunc adapts a function to workers.Handler.
type handlerFunc func(ctx context.Context, e event.Event) ([]event.Event, error)

func (f handlerFunc) Handle(ctx context.Context, e event.Event) ([]event.Event, error) {
	return f(ctx, e)
}

// runWorkers starts n workers of fn, each with its own connection, and
// returns once all of them are ready. stop cancels them, waits for their
// drain, closes their run history recorders (when record is set) and
// returns the run records these lost.
func runWorkers(ctx context.Context, e *env, mesh *mesh, fn *workers.Config, n int, h workers.Handler, record bool, hooks workers.Hooks) (stop func() (lost uint64), err error) {
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var recs []*history.Recorder
	stop = func() uint64 {
		cancel()
		wg.Wait()
		var lost uint64
		for _, rec := range recs {
			cctx, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			_ = rec.Close(cctx)
			done()
			st := rec.Stats()
			lost += st.Dropped + st.Failed
		}
		return lost
	}
	ws := make([]*workers.Worker, 0, n)
	for r := range n {
		client, err := e.client(ctx, "fnmesh-bench-worker-"+strconv.Itoa(r), mesh)
		if err != nil {
			stop()
			return nil, err
		}
		cfg := *fn
		cfg.Replica, cfg.ShutdownTimeout = "bench-"+strconv.Itoa(r), 5*time.Second
		wb, err := workerBroker(client, mesh.DeadLetter)
		if err != nil {
			stop()
			return nil, err
		}
		rhooks := hooks
		if record {
			// As functions.Serve does: one recorder on the replica's connection.
			rec, err := history.NewRecorder(client.Conn(), mesh.History)
			if err != nil {
				stop()
				return nil, fmt.Errorf("bench: %w", err)
			}
			recs = append(recs, rec)
			rhooks = history.Hooks(rec, cfg.Replica, hooks)
		}
		w, err := workers.New(cfg, wb, h, workers.WithLogger(e.log), workers.WithHooks(rhooks))
		if err != nil {
			stop()
			return nil, fmt.Errorf("bench: %w", err)
		}
		ws = append(ws, w)
		wg.Go(func() { _ = w.Run(wctx) })
	}
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	deadline := time.Now().Add(30 * time.Second)
	for _, w := range ws {
		for !w.Ready() {
			select {
			case <-ctx.Done():
				stop()
				return nil, ctx.Err()
			case <-t.C:
			}
			if time.Now().After(deadline) {
				stop()
				return nil, fmt.Errorf("bench: workers not ready after 30s: %w", ErrIncomplete)
			}
		}
	}
	return stop, nil
}
