package workers

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

	"github.com/fnmesh/fnmesh/internal/config"
)

// dockerContainer is one labelled container of a function.
type dockerContainer struct {
	id, name string
	seq      int
	created  time.Time
	state    string // a Replica state, "" when it exited for good
}

// containers lists the containers of fn in this mesh, oldest first.
func (rt *DockerRuntime) containers(ctx context.Context, fn string) ([]dockerContainer, error) {
	res, err := rt.cli.ContainerList(ctx, client.ContainerListOptions{
		All: true,
		Filters: client.Filters{}.
			Add("label", DockerLabelMesh+"="+rt.meshName).
			Add("label", DockerLabelFunction+"="+fn),
	})
	if err != nil {
		return nil, fmt.Errorf("docker runtime: list containers of %s: %w", fn, err)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make([]dockerContainer, 0, len(res.Items))
	for _, c := range res.Items {
		// The filter is a match on the label; check it again so that a
		// daemon that ignores filters cannot hand us foreign containers.
		if c.Labels[DockerLabelMesh] != rt.meshName || c.Labels[DockerLabelFunction] != fn {
			continue
		}
		dc := dockerContainer{id: c.ID, name: c.ID, created: time.Unix(c.Created, 0)}
		if len(c.Names) > 0 {
			dc.name = strings.TrimPrefix(c.Names[0], "/")
		}
		dc.seq, _ = strconv.Atoi(c.Labels[DockerLabelReplica])
		dc.state = dockerState(c.State)
		if _, ok := rt.stopping[c.ID]; ok {
			dc.state = ReplicaStopping
		}
		out = append(out, dc)
	}
	slices.SortFunc(out, func(a, b dockerContainer) int {
		return cmp.Or(cmp.Compare(a.seq, b.seq), a.created.Compare(b.created), cmp.Compare(a.name, b.name))
	})
	return out, nil
}

// dockerState maps an engine state to a Replica state.
func dockerState(s container.ContainerState) string {
	switch s {
	case container.StateCreated:
		return ReplicaStarting
	case container.StateRunning, container.StatePaused:
		return ReplicaRunning
	case container.StateRestarting:
		return ReplicaBackoff
	case container.StateRemoving:
		return ReplicaStopping
	default: // exited, dead
		return ""
	}
}

// dockerRunnable checks that fn runs from an image on this runtime.
func dockerRunnable(fn *config.Function) error {
	if fn.Run.Image == "" {
		return fmt.Errorf("docker runtime: function %s: run.image: required by the docker runtime: %w", fn.Name, ErrNotRunnable)
	}
	if r := fn.Run.Runtime; r != "" && r != "docker" {
		return fmt.Errorf("docker runtime: function %s: run.runtime is %q: %w", fn.Name, r, ErrNotRunnable)
	}
	return nil
}

// checkImage fails with ErrImageMissing when fn's image is not on the engine.
func (rt *DockerRuntime) checkImage(ctx context.Context, fn *config.Function) error {
	_, err := rt.cli.ImageInspect(ctx, fn.Run.Image)
	if isNotFound(err) {
		return fmt.Errorf("docker runtime: function %s: run.image %q: %w: %w (it is never pulled; build or load it first)",
			fn.Name, fn.Run.Image, ErrImageMissing, ErrNotRunnable)
	}
	if err != nil {
		return fmt.Errorf("docker runtime: function %s: inspect image %q: %w", fn.Name, fn.Run.Image, err)
	}
	return nil
}

// maxNameAttempts bounds the retries when a container name is taken (by a
// container of an earlier run being removed, or by someone else).
const maxNameAttempts = 20

// start creates and starts the container with sequence number seq (or the
// next free one) and returns the number used.
func (rt *DockerRuntime) start(ctx context.Context, fn *config.Function, seq int) (int, error) {
	for range maxNameAttempts {
		name := DockerContainerName(rt.meshName, fn.Name, seq)
		res, err := rt.cli.ContainerCreate(ctx, rt.createOptions(fn, name, seq))
		if cerrdefs.IsConflict(err) {
			seq++
			continue
		}
		if isNotFound(err) {
			return seq, fmt.Errorf("docker runtime: function %s: create %s from %q: %w: %w: %w",
				fn.Name, name, fn.Run.Image, ErrImageMissing, ErrNotRunnable, err)
		}
		if err != nil {
			return seq, fmt.Errorf("docker runtime: function %s: create %s: %w", fn.Name, name, err)
		}
		if _, err := rt.cli.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			_, _ = rt.cli.ContainerRemove(rctx, res.ID, client.ContainerRemoveOptions{Force: true})
			cancel()
			return seq, fmt.Errorf("docker runtime: function %s: start %s: %w", fn.Name, name, err)
		}
		rt.log.Info("docker runtime: container started", "function", fn.Name, "replica", name, "image", fn.Run.Image)
		return seq, nil
	}
	return seq, fmt.Errorf("docker runtime: function %s: no free container name after %d attempts", fn.Name, maxNameAttempts)
}

// createOptions is the container of one replica.
func (rt *DockerRuntime) createOptions(fn *config.Function, name string, seq int) client.ContainerCreateOptions {
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
			Image: fn.Run.Image,
			Env:   rt.containerEnv(fn, name),
			Labels: map[string]string{
				DockerLabelMesh:     rt.meshName,
				DockerLabelFunction: fn.Name,
				DockerLabelReplica:  strconv.Itoa(seq),
			},
			StopTimeout: &stopSecs,
		},
		HostConfig: hc,
	}
}

// containerEnv is, later entries winning: this process's OTEL_* variables,
// DockerConfig.Env, the function's env, then FNMESH_FUNCTION, FNMESH_FILE,
// NATS_URL and FNMESH_REPLICA. OTEL_SERVICE_NAME defaults to the function's
// name. The result is sorted by name, one entry per name.
func (rt *DockerRuntime) containerEnv(fn *config.Function, replica string) []string {
	var env []string
	for _, kv := range rt.environ() {
		if strings.HasPrefix(kv, "OTEL_") {
			env = append(env, kv)
		}
	}
	env = slices.Concat(env, rt.cfg.Env, sortedEnv(fn.Env))
	env = append(env,
		"FNMESH_FUNCTION="+fn.Name,
		"FNMESH_FILE="+rt.cfg.MeshFile,
		"NATS_URL="+rt.cfg.NATSURL,
		"FNMESH_REPLICA="+replica,
	)
	vals := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vals[k] = v
	}
	if _, ok := vals["OTEL_SERVICE_NAME"]; !ok {
		vals["OTEL_SERVICE_NAME"] = fn.Name
	}
	return sortedEnv(vals)
}

// DockerContainerName is the name of replica seq of function fn in mesh:
// "fnmesh-<mesh>-<fn>-<seq>", with characters Docker does not accept in
// names replaced by '-'. It is also the replica's id.
func DockerContainerName(mesh, fn string, seq int) string {
	return fmt.Sprintf("fnmesh-%s-%s-%d", dockerSafe(mesh), dockerSafe(fn), seq)
}

// dockerMeshName is the mesh's label value: metadata.name or "default".
func dockerMeshName(m *config.Mesh) string {
	return cmp.Or(m.Metadata.Name, "default")
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
