package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/process"
	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// Scale scenario settings that are not flags: the scaler polls often so
// the figures show the reaction of the mesh rather than the wait for a
// poll, and the lag threshold makes a default burst ask for every
// replica.
const (
	scaleFunction     = "bench-scale"
	scalePolling      = 250 * time.Millisecond
	scaleCooldown     = 5 * time.Second
	scaleLagThreshold = 100
	scalePhaseTimeout = 2 * time.Minute
)

// runScale measures the scaler and the process runtime with
// measureScale. The fnmesh side is the drain with the scaler at
// work (from one replica, up to Replicas), the baseline the same burst
// drained by one fixed replica.
func runScale(ctx context.Context, e *env, cfg Config) (Result, error) {
	res := Result{Scenario: Scale}
	dir, err := os.MkdirTemp("", "fnmesh-bench-scale-")
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	ackSubject := "bench_acks_" + e.id
	sm, err := writeScaleMesh(e, cfg, dir, ackSubject)
	if err != nil {
		return res, err
	}
	client, err := e.client(ctx, "fnmesh-bench-scale", sm.mesh)
	if err != nil {
		return res, err
	}
	if err := e.ensureMesh(ctx, client, sm.mesh); err != nil {
		return res, err
	}
	rt, err := process.New(process.Config{
		Functions: []scale.Workload{sm.workload},
		MeshFile:  sm.file, NATS: workerenv.NATS{URL: e.url}, StopTimeout: 10 * time.Second,
	}, scale.WithLogger(e.log))
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = rt.Close(cctx)
	}()
	prog := startProgress(cfg.Progress, "scale: cold start, burst, single", 0, 0)
	rep, err := measureScale(ctx, scaleBenchConfig{
		Client: client, Worker: sm.worker, Params: sm.params, Runtime: rt,
		Events: cfg.Count, Source: "/fnmesh/bench", AckSubject: ackSubject,
		PhaseTimeout: scalePhaseTimeout, Log: e.log,
	})
	prog.finish()
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	res.Scale = &rep
	n := int64(rep.Events)
	res.FnMesh = Measure{Name: fmt.Sprintf("scaled drain (1 -> up to %d replicas)", cfg.Replicas)}
	res.FnMesh.setRate(n, rep.DrainScaled)
	res.Baseline = Measure{Name: "one fixed replica"}
	res.Baseline.setRate(n, rep.DrainSingle)
	return res, nil
}

// scaleMesh is the mesh of the scale scenario: its streams, the mesh
// file its replicas load, how they run, and the function's consume and
// scaling settings as the replicas and the scaler use them.
type scaleMesh struct {
	mesh     *mesh
	file     string
	workload scale.Workload
	worker   workers.Config
	params   scale.Params
}

// writeScaleMesh writes the mesh file the worker processes load (JSON,
// which is YAML) and reads the function back as they will
// (meshmap.LoadFunction), so that the scaler derives their consumer.
func writeScaleMesh(e *env, cfg Config, dir, ackSubject string) (scaleMesh, error) {
	sm := scaleMesh{
		mesh: e.mesh(benchFunction(scaleFunction, cfg)),
		file: filepath.Join(dir, "mesh.yaml"),
		workload: scale.Workload{
			Function: scaleFunction,
			Runtime:  scale.RuntimeProcess,
			Command:  slices.Clone(cfg.WorkerCommand),
			Env:      map[string]string{EnvWork: cfg.Work.String(), EnvAckSubject: ackSubject},
		},
		params: scale.Params{
			Max:             cfg.Replicas,
			LagThreshold:    scaleLagThreshold,
			Cooldown:        scaleCooldown,
			PollingInterval: scalePolling,
		},
	}
	maps.Copy(sm.workload.Env, cfg.WorkerEnv)
	b, err := json.MarshalIndent(meshFile(sm.mesh, sm.workload, sm.params), "", "  ")
	if err != nil {
		return sm, fmt.Errorf("bench: mesh file: %w", err)
	}
	if err := os.WriteFile(sm.file, b, 0o644); err != nil {
		return sm, fmt.Errorf("bench: mesh file: %w", err)
	}
	fn, ok, err := meshmap.LoadFunction(sm.file, scaleFunction)
	if err != nil {
		return sm, fmt.Errorf("bench: mesh file: %w", err)
	}
	if !ok {
		return sm, fmt.Errorf("bench: mesh file %s: no function %s", sm.file, scaleFunction)
	}
	sm.worker = fn.Worker
	return sm, nil
}

// meshFile is the mesh file of m with its one function run as w and
// scaled with p, in the file format's names: the settings the benchmark
// sets, nothing else.
func meshFile(m *mesh, w scale.Workload, p scale.Params) map[string]any {
	fn := m.Functions[0]
	filters := make([]map[string]any, len(fn.Filters))
	for i, f := range fn.Filters {
		filters[i] = map[string]any{"exact": f.Exact}
	}
	return map[string]any{
		"apiVersion":    "fnmesh.dev/v1alpha1",
		"kind":          "Mesh",
		"metadata":      map[string]any{"name": "bench"},
		"subjectPrefix": m.Broker.SubjectPrefix,
		"streams":       []map[string]any{{"name": m.Stream.Name, "subjects": m.Stream.Subjects}},
		"deadLetter":    map[string]any{"stream": m.DeadLetter.Stream, "subjectPrefix": m.DeadLetter.SubjectPrefix},
		"history":       map[string]any{"enabled": !m.History.Disabled},
		"functions": []map[string]any{{
			"name":        fn.Function,
			"startFrom":   fn.StartFrom,
			"filters":     filters,
			"concurrency": fn.Concurrency,
			"run":         map[string]any{"command": w.Command},
			"env":         w.Env,
			"scaling": map[string]any{
				"minReplicaCount": p.Min,
				"maxReplicaCount": p.Max,
				"lagThreshold":    p.LagThreshold,
				"cooldownPeriod":  p.Cooldown.String(),
				"pollingInterval": p.PollingInterval.String(),
			},
		}},
	}
}
