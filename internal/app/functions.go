package app

import (
	"fmt"
	"os"
	"time"

	dockerclient "github.com/moby/moby/client"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/workers/docker"
	"github.com/fnmesh/fnmesh/workers/process"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// localRuntime is a runtime `up` runs and closes.
type localRuntime interface {
	scale.Runtime
	closer
}

// stopMargin is how much longer than the shutdown timeout a runtime waits
// for a replica to drain before it kills it.
const stopMargin = 5 * time.Second

// functions builds a runtime and a scaler for the functions of each runtime
// kind the mesh uses: local processes, or Docker containers for
// run.runtime: docker. Kubernetes functions are deployed with
// `fnmesh deploy render` and scaled there (by KEDA or fnmesh's scaler).
func (a *App) functions() error {
	stop := a.cfg.ShutdownTimeout + stopMargin
	metrics := func(d scale.Decision) {
		a.tel.Metrics.SetScale(d.Function, int64(d.Backlog), d.Desired, d.To)
	}
	// scaler sizes fns through rt, reading their backlogs through the client.
	scaler := func(fns meshmap.Functions, rt scale.Runtime) error {
		backlog, err := scale.NewBrokerBacklog(a.client, fns.Consumers)
		if err != nil {
			return err
		}
		// A function at zero starts at its first event, not at the next poll.
		backlog.WakeOn(a.nc)
		cfg := fns.Scaler
		cfg.Metrics = metrics
		opts := []scale.Option{scale.WithLogger(a.log)}
		if a.nodes != nil {
			opts = append(opts, scale.WithPeers(a.nodes))
		}
		sc, err := scale.New(backlog, rt, cfg, opts...)
		if err != nil {
			return err
		}
		a.scalers = append(a.scalers, sc)
		return nil
	}
	// local runs the functions of runtime, with their secrets, on the
	// runtime newRuntime builds for them, sized by a scaler.
	local := func(runtime string, newRuntime func(meshmap.Functions) (localRuntime, error)) error {
		fns, err := meshmap.FunctionsOn(a.m, runtime).WithSecrets(a.m)
		if err != nil || len(fns.Workloads) == 0 {
			return err
		}
		rt, err := newRuntime(fns)
		if err != nil {
			return err
		}
		a.runtimes = append(a.runtimes, rt)
		return scaler(fns, rt)
	}
	err := local(scale.RuntimeProcess, func(fns meshmap.Functions) (localRuntime, error) {
		self := a.cfg.Executable
		if self == "" {
			var err error
			if self, err = os.Executable(); err != nil {
				return nil, fmt.Errorf("locate the fnmesh binary: %w", err)
			}
		}
		return process.New(process.Config{
			Functions: fns.Workloads, MeshFile: a.m.File, Self: self, NATS: a.workerNATS(), StopTimeout: stop,
		}, scale.WithLogger(a.log))
	})
	if err != nil {
		return err
	}
	err = local(scale.RuntimeDocker, func(fns meshmap.Functions) (localRuntime, error) {
		cli, err := dockerclient.New(dockerclient.FromEnv, dockerclient.WithAPIVersionNegotiation())
		if err != nil {
			return nil, fmt.Errorf("docker runtime: %w", err)
		}
		return docker.New(docker.Config{
			Functions: fns.Workloads, Client: cli, Mesh: a.m.Metadata.Name, Network: a.cfg.Env.DockerNetwork,
			NATS: a.workerNATS(), MountMeshFile: a.m.File, StopTimeout: stop,
		}, scale.WithLogger(a.log))
	})
	if err != nil {
		return err
	}
	if fns := meshmap.FunctionsOn(a.m, scale.RuntimeKubernetes); len(fns.Workloads) > 0 {
		a.log.Info("kubernetes functions are not run by `fnmesh up`; deploy them with `fnmesh deploy render`", "functions", len(fns.Workloads))
	}
	return nil
}
