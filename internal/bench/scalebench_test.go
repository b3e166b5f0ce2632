package bench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/process"
	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// scaleBenchEnv is an embedded broker, the scale scenario's mesh file (the
// test binary as its worker) and a process runtime for it.
type scaleBenchEnv struct {
	cfg scaleBenchConfig
	e   *env
	dl  string // the dead-letter stream
}

func newScaleBenchEnv(t testing.TB, events int) *scaleBenchEnv {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Defaults(Scale, Config{Count: events, Work: 2 * time.Millisecond, Concurrency: 1, Replicas: 4,
		WorkerCommand: []string{self}, WorkerEnv: map[string]string{envTestWorker: "1"}})
	e, err := openEnv(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.close(context.Background()) })
	ackSubject := "bench_acks_" + e.id
	sm, err := writeScaleMesh(e, cfg, t.TempDir(), ackSubject)
	if err != nil {
		t.Fatal(err)
	}
	client, err := e.client(t.Context(), "fnmesh-bench-scale", sm.mesh)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ensureMesh(t.Context(), client, sm.mesh); err != nil {
		t.Fatal(err)
	}
	rt, err := process.New(process.Config{
		Functions: []scale.Workload{sm.workload},
		MeshFile:  sm.file, NATS: workerenv.NATS{URL: e.url}, StopTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := rt.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &scaleBenchEnv{e: e, dl: sm.mesh.DeadLetter.Stream, cfg: scaleBenchConfig{
		Client: client, Worker: sm.worker, Params: sm.params, Runtime: rt,
		Events: events, AckSubject: ackSubject, PhaseTimeout: time.Minute,
	}}
}

// TestMeasureScale runs the three phases on real worker processes.
func TestMeasureScale(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	const events = 500
	b := newScaleBenchEnv(t, events)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	rep, err := measureScale(ctx, b.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", rep)
	if rep.ColdStart <= 0 || rep.ScaleUpStart <= 0 || rep.DrainScaled <= 0 || rep.DrainSingle <= 0 || rep.IdleRSSKiB <= 0 {
		t.Errorf("missing measurements: %+v", rep)
	}
	if rep.ScaleUpFirstAck < rep.ScaleUpStart || rep.DrainScaled < rep.ScaleUpStart {
		t.Errorf("measurements out of order: %+v", rep)
	}
	if rep.MaxReplicas < 2 || rep.MaxReplicas > 4 {
		t.Errorf("MaxReplicas %d, want 2..4", rep.MaxReplicas)
	}
	if reps, _ := b.cfg.Runtime.List(ctx, scaleFunction); len(reps) != 0 {
		t.Errorf("measureScale left %d replicas", len(reps))
	}
	// Every event (one cold start, two bursts) was handled and acknowledged,
	// none dead-lettered.
	info, err := b.cfg.Client.ConsumerInfo(ctx, b.cfg.Worker.Stream, workers.ConsumerName(scaleFunction))
	if err != nil {
		t.Fatal(err)
	}
	if info.NumPending != 0 || info.NumAckPending != 0 || info.AckFloor.Stream != 1+2*events {
		t.Errorf("consumer: pending %d, ack pending %d, ack floor %d: want 0, 0, %d", info.NumPending, info.NumAckPending, info.AckFloor.Stream, 1+2*events)
	}
	dead := 0
	if err := b.cfg.Client.ReadStream(ctx, b.dl, "", func(broker.StoredEvent) bool { dead++; return true }); err != nil {
		t.Fatal(err)
	}
	if dead != 0 {
		t.Errorf("%d dead letters, want none", dead)
	}

	for _, tc := range []struct{ name, fn, stream string }{{"no function", "", "S"}, {"no stream", scaleFunction, ""}} {
		bad := b.cfg
		bad.Worker.Function, bad.Worker.Stream = tc.fn, tc.stream
		if _, err := measureScale(ctx, bad); err == nil || !strings.Contains(err.Error(), "Worker") {
			t.Errorf("%s: measureScale: %v, want an error naming Worker", tc.name, err)
		}
	}
}

// BenchmarkMeasureScale reports measureScale's durations as metrics
// (go test -run=^$ -bench=MeasureScale ./internal/bench).
func BenchmarkMeasureScale(b *testing.B) {
	env := newScaleBenchEnv(b, 2000)
	var rep ScaleReport
	for b.Loop() {
		var err error
		if rep, err = measureScale(context.Background(), env.cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rep.ColdStart.Milliseconds()), "coldstart-ms")
	b.ReportMetric(float64(rep.ScaleUpFirstAck.Milliseconds()), "scaleup-ack-ms")
	b.ReportMetric(float64(rep.DrainScaled.Milliseconds()), "drain-scaled-ms")
	b.ReportMetric(float64(rep.DrainSingle.Milliseconds()), "drain-single-ms")
	b.ReportMetric(rep.Speedup(), "speedup")
}
