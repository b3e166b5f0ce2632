package docker

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// containerInfo is one labelled container of a function.
type containerInfo struct {
	id, name string
	seq      int
	created  time.Time
	state    string // a Replica state, "" when it exited for good
}

// containers lists the containers of fn in this mesh, oldest first.
func (rt *Runtime) containers(ctx context.Context, fn string) ([]containerInfo, error) {
	res, err := rt.cli.ContainerList(ctx, client.ContainerListOptions{
		All: true,
		Filters: client.Filters{}.
			Add("label", LabelMesh+"="+rt.cfg.Mesh).
			Add("label", LabelFunction+"="+fn),
	})
	if err != nil {
		return nil, fmt.Errorf("docker runtime: list containers of %s: %w", fn, err)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make([]containerInfo, 0, len(res.Items))
	for _, c := range res.Items {
		// The filter is a match on the label; check it again so that a
		// daemon that ignores filters cannot hand us foreign containers.
		if c.Labels[LabelMesh] != rt.cfg.Mesh || c.Labels[LabelFunction] != fn {
			continue
		}
		dc := containerInfo{id: c.ID, name: c.ID, created: time.Unix(c.Created, 0)}
		if len(c.Names) > 0 {
			dc.name = strings.TrimPrefix(c.Names[0], "/")
		}
		dc.seq, _ = strconv.Atoi(c.Labels[LabelReplica])
		dc.state = dockerState(c.State)
		if _, ok := rt.stopping[c.ID]; ok {
			dc.state = scale.ReplicaStopping
		}
		out = append(out, dc)
	}
	slices.SortFunc(out, func(a, b containerInfo) int {
		return cmp.Or(cmp.Compare(a.seq, b.seq), a.created.Compare(b.created), cmp.Compare(a.name, b.name))
	})
	return out, nil
}

// dockerState maps an engine state to a Replica state.
func dockerState(s container.ContainerState) string {
	switch s {
	case container.StateCreated:
		return scale.ReplicaStarting
	case container.StateRunning, container.StatePaused:
		return scale.ReplicaRunning
	case container.StateRestarting:
		return scale.ReplicaBackoff
	case container.StateRemoving:
		return scale.ReplicaStopping
	default: // exited, dead
		return ""
	}
}

// dockerRunnable checks that fn runs from an image on this runtime.
func dockerRunnable(fn scale.Workload) error {
	if fn.Image == "" {
		return fmt.Errorf("docker runtime: function %s: run.image: required by the docker runtime: %w", fn.Function, scale.ErrNotRunnable)
	}
	if r := fn.Runtime; r != "" && r != scale.RuntimeDocker {
		return fmt.Errorf("docker runtime: function %s: run.runtime is %q: %w", fn.Function, r, scale.ErrNotRunnable)
	}
	return nil
}

// checkImage fails with ErrImageMissing when fn's image is not on the engine.
func (rt *Runtime) checkImage(ctx context.Context, fn scale.Workload) error {
	_, err := rt.cli.ImageInspect(ctx, fn.Image)
	if isNotFound(err) {
		return fmt.Errorf("docker runtime: function %s: run.image %q: %w: %w (it is never pulled; build or load it first)",
			fn.Function, fn.Image, ErrImageMissing, scale.ErrNotRunnable)
	}
	if err != nil {
		return fmt.Errorf("docker runtime: function %s: inspect image %q: %w", fn.Function, fn.Image, err)
	}
	return nil
}

// maxNameAttempts bounds the retries when a container name is taken (by a
// container of an earlier run being removed, or by someone else).
const maxNameAttempts = 20

// start creates and starts the container with sequence number seq (or the
// next free one) and returns the number used.
func (rt *Runtime) start(ctx context.Context, fn scale.Workload, seq int) (int, error) {
	for range maxNameAttempts {
		name := ContainerName(rt.cfg.Mesh, fn.Function, seq)
		res, err := rt.cli.ContainerCreate(ctx, rt.createOptions(fn, name, seq))
		if cerrdefs.IsConflict(err) {
			seq++
			continue
		}
		if isNotFound(err) {
			return seq, fmt.Errorf("docker runtime: function %s: create %s from %q: %w: %w: %w",
				fn.Function, name, fn.Image, ErrImageMissing, scale.ErrNotRunnable, err)
		}
		if err != nil {
			return seq, fmt.Errorf("docker runtime: function %s: create %s: %w", fn.Function, name, err)
		}
		if _, err := rt.cli.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			_, _ = rt.cli.ContainerRemove(rctx, res.ID, client.ContainerRemoveOptions{Force: true})
			cancel()
			return seq, fmt.Errorf("docker runtime: function %s: start %s: %w", fn.Function, name, err)
		}
		rt.log.Info("docker runtime: container started", "function", fn.Function, "replica", name, "image", fn.Image)
		go rt.forwardLogs(fn.Function, name, res.ID)
		return seq, nil
	}
	return seq, fmt.Errorf("docker runtime: function %s: no free container name after %d attempts", fn.Function, maxNameAttempts)
}

// createOptions is the container of one replica.
func (rt *Runtime) createOptions(fn scale.Workload, name string, seq int) client.ContainerCreateOptions {
	stopSecs := rt.stopSecs
	hc := &container.HostConfig{
		NetworkMode:   container.NetworkMode(rt.cfg.Network),
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyOnFailure},
		Binds:         slices.Clone(rt.cfg.Binds),
	}
	if rt.meshBind != "" {
		hc.Binds = append(hc.Binds, rt.meshBind)
	}
	return client.ContainerCreateOptions{
		Name: name,
		Config: &container.Config{
			Image: fn.Image,
			Env:   rt.containerEnv(fn, name),
			Labels: map[string]string{
				LabelMesh:     rt.cfg.Mesh,
				LabelFunction: fn.Function,
				LabelReplica:  strconv.Itoa(seq),
			},
			StopTimeout: &stopSecs,
		},
		HostConfig: hc,
	}
}

// containerEnv is what workerenv.Compose layers: this process's OTEL_*
// variables, Config.Env, the function's env and secrets, then the worker
// contract (FNMESH_FUNCTION, FNMESH_FILE, FNMESH_REPLICA and the NATS
// variables).
func (rt *Runtime) containerEnv(fn scale.Workload, replica string) []string {
	return workerenv.Compose(workerenv.Telemetry(rt.environ()), slices.Concat(rt.cfg.Env, workerenv.Sorted(fn.Env), workerenv.Sorted(fn.SecretEnv)),
		workerenv.Env{Function: fn.Function, File: rt.cfg.MeshFile, Replica: replica, NATS: rt.cfg.NATS})
}

// ContainerName is the name of replica seq of function fn in mesh:
// "fnmesh-<mesh>-<fn>-<seq>", with characters Docker does not accept in
// names replaced by '-'. It is also the replica's id.
func ContainerName(mesh, fn string, seq int) string {
	return fmt.Sprintf("fnmesh-%s-%s-%d", dockerSafe(mesh), dockerSafe(fn), seq)
}

// dockerSafe replaces what a container name may not hold with '-'.
func dockerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			return r
		default:
			return '-'
		}
	}, s)
}

// isNotFound reports whether the engine answered 404.
func isNotFound(err error) bool { return err != nil && cerrdefs.IsNotFound(err) }
