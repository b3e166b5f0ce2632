package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
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
	mesh, err := writeScaleMesh(e, cfg, dir, ackSubject)
	if err != nil {
		return res, err
	}
	client, err := e.client(ctx, "fnmesh-bench-scale", mesh)
	if err != nil {
		return res, err
	}
	if err := e.ensureMesh(ctx, client, mesh); err != nil {
		return res, err
	}
	rt, err := process.New(process.Config{
		Functions: meshmap.FunctionsOn(mesh, scale.RuntimeProcess).Workloads,
		MeshFile:  mesh.File, NATS: workerenv.NATS{URL: e.url}, StopTimeout: 10 * time.Second,
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
		Client: client, Mesh: mesh, Function: scaleFunction, Runtime: rt,
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

// writeScaleMesh writes the mesh file the worker processes load (JSON,
// which is YAML) and loads it back as they will.
func writeScaleMesh(e *env, cfg Config, dir, ackSubject string) (*config.Mesh, error) {
	zero := 0
	fn := benchFunction(scaleFunction, cfg)
	fn.Run.Command = cfg.WorkerCommand
	fn.Env = map[string]string{EnvWork: cfg.Work.String(), EnvAckSubject: ackSubject}
	maps.Copy(fn.Env, cfg.WorkerEnv)
	fn.Scaling = config.Scaling{
		MinReplicaCount: &zero,
		MaxReplicaCount: cfg.Replicas,
		LagThreshold:    scaleLagThreshold,
		CooldownPeriod:  config.Duration(scaleCooldown),
		PollingInterval: config.Duration(scalePolling),
	}
	m := e.mesh(fn)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("bench: mesh file: %w", err)
	}
	file := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		return nil, fmt.Errorf("bench: mesh file: %w", err)
	}
	loaded, err := meshmap.Load(file)
	if err != nil {
		return nil, fmt.Errorf("bench: mesh file: %w", err)
	}
	return loaded, nil
}
