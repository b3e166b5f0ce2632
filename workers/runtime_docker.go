package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/moby/moby/client"

	"github.com/fnmesh/fnmesh/internal/config"
)

// Labels of the containers a DockerRuntime runs. List finds a function's
// containers by the first two, so containers left by an earlier run of the
// same mesh are adopted.
const (
	// DockerLabelFunction holds the function's name.
	DockerLabelFunction = "dev.fnmesh.function"
	// DockerLabelMesh holds the mesh's metadata.name ("default" when empty).
	DockerLabelMesh = "dev.fnmesh.mesh"
	// DockerLabelReplica holds the replica's sequence number within its
	// function; higher is newer.
	DockerLabelReplica = "dev.fnmesh.replica"
)

// DefaultContainerMeshFile is where workers find the mesh file inside their
// containers unless DockerConfig.MeshFile says otherwise (the path the
// Kubernetes manifests mount it at, too).
const DefaultContainerMeshFile = "/etc/fnmesh/mesh.yaml"

// ErrImageMissing means a function's run.image is not present on the Docker
// engine. The runtime never pulls: build or load the image first.
var ErrImageMissing = errors.New("image not present on the docker engine")

// DockerConfig configures a DockerRuntime.
type DockerConfig struct {
	// Mesh is the loaded mesh file. Required.
	Mesh *config.Mesh
	// Client talks to the engine, e.g. client.New(client.FromEnv,
	// client.WithAPIVersionNegotiation()). Required; the runtime does not
	// close it.
	Client *client.Client
	// Network is the network containers join: "host", "bridge" or the name
	// of a user-defined network. Default: the engine's default (bridge).
	Network string
	// NATSURL is given to workers as NATS_URL; it must reach the broker from
	// inside the containers (e.g. nats://fnmesh:4222 on a user network, or
	// nats://127.0.0.1:4222 with Network "host"). Required.
	NATSURL string
	// MeshFile is the mesh file's path inside the containers, given to
	// workers as FNMESH_FILE. Default DefaultContainerMeshFile.
	MeshFile string
	// MountMesh bind-mounts the mesh file (Mesh.File, made absolute)
	// read-only at MeshFile. Leave it false when the image holds the file or
	// Binds mounts it. The path is resolved by the engine's host, so it only
	// works when fnmesh and the engine share a filesystem.
	MountMesh bool
	// Binds are extra bind mounts, "host-path:container-path[:ro]".
	Binds []string
	// Env is added to every worker's environment, after the OTEL_*
	// variables of this process and before the function's env.
	Env []string
	// StopTimeout is how long a stopped container may drain before the
	// engine kills it (rounded up to whole seconds). Default
	// DefaultStopTimeout.
	StopTimeout time.Duration
	// Log receives the runtime's events. Worker output stays with the
	// engine (docker logs <replica>). Nil discards.
	Log *slog.Logger
}

// DockerRuntime runs the workers of run.image functions as Docker
// containers, labelled with the function and the mesh, restarted by the
// engine when they fail (restart policy on-failure). Containers are never
// pulled; an image that is missing is ErrImageMissing.
type DockerRuntime struct {
	cli       *client.Client
	cfg       DockerConfig
	log       *slog.Logger
	meshName  string
	meshBind  string // "abs:MeshFile:ro" when MountMesh
	stopSecs  int
	environ   func() []string
	stopGrace time.Duration // how long a stop goroutine may take in all

	fnMu sync.Map // function name -> *sync.Mutex, orders Scale and Stop per function

	mu       sync.Mutex
	closed   bool
	stopping map[string]*dockerStop // by container ID
	wg       sync.WaitGroup
}

// dockerStop is a container being stopped and removed.
type dockerStop struct {
	done chan struct{}
	err  error // set before done is closed
}

var _ Runtime = (*DockerRuntime)(nil)

// NewDockerRuntime checks cfg and returns a runtime. It does not contact the
// engine.
func NewDockerRuntime(cfg DockerConfig) (*DockerRuntime, error) {
	if cfg.Mesh == nil {
		return nil, errors.New("docker runtime: Mesh is nil")
	}
	if cfg.Client == nil {
		return nil, errors.New("docker runtime: Client is nil")
	}
	if cfg.NATSURL == "" {
		return nil, errors.New("docker runtime: NATSURL is empty: workers need the broker's URL as seen from their containers")
	}
	if cfg.MeshFile == "" {
		cfg.MeshFile = DefaultContainerMeshFile
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = DefaultStopTimeout
	}
	rt := &DockerRuntime{
		cli: cfg.Client, cfg: cfg,
		log:      cfg.Log,
		meshName: dockerMeshName(cfg.Mesh),
		stopSecs: int((cfg.StopTimeout + time.Second - 1) / time.Second),
		environ:  os.Environ,
		stopping: map[string]*dockerStop{},
	}
	rt.stopGrace = time.Duration(rt.stopSecs)*time.Second + time.Minute
	if rt.log == nil {
		rt.log = slog.New(slog.DiscardHandler)
	}
	if cfg.MountMesh {
		if cfg.Mesh.File == "" {
			return nil, errors.New("docker runtime: MountMesh is set but Mesh.File is empty")
		}
		abs, err := filepath.Abs(cfg.Mesh.File)
		if err != nil {
			return nil, fmt.Errorf("docker runtime: mesh file: %w", err)
		}
		rt.meshBind = abs + ":" + cfg.MeshFile + ":ro"
	}
	return rt, nil
}

// lockFn serializes Scale and Stop of one function.
func (rt *DockerRuntime) lockFn(fn string) func() {
	v, _ := rt.fnMu.LoadOrStore(fn, &sync.Mutex{})
	m := v.(*sync.Mutex)
	m.Lock()
	return m.Unlock
}

// List returns the containers of fn, oldest first: created ones are
// ReplicaStarting, running ones ReplicaRunning, ones the engine is about to
// restart ReplicaBackoff, and ones being stopped or removed ReplicaStopping.
// Containers that exited on their own (and are not restarted) are left out;
// the next Scale removes them.
func (rt *DockerRuntime) List(ctx context.Context, fn string) ([]Replica, error) {
	if _, ok := rt.cfg.Mesh.Function(fn); !ok {
		return nil, fmt.Errorf("docker runtime: %q: %w", fn, ErrUnknownFunction)
	}
	cs, err := rt.containers(ctx, fn)
	if err != nil {
		return nil, err
	}
	out := make([]Replica, 0, len(cs))
	for _, c := range cs {
		if c.state == "" {
			continue
		}
		out = append(out, Replica{ID: c.name, Started: c.created, State: c.state})
	}
	return out, nil
}

// Scale starts or stops containers of fn until n are not stopping. Surplus
// containers are stopped newest first: the engine sends SIGTERM and kills
// the container after StopTimeout; it is then removed. Scale does not wait
// for them.
func (rt *DockerRuntime) Scale(ctx context.Context, fn string, n int) error {
	if n < 0 {
		return fmt.Errorf("docker runtime: scale %s: replica count %d: must not be negative", fn, n)
	}
	f, ok := rt.cfg.Mesh.Function(fn)
	if !ok {
		return fmt.Errorf("docker runtime: scale %q: %w", fn, ErrUnknownFunction)
	}
	if n > 0 {
		if err := dockerRunnable(f); err != nil {
			return err
		}
	}
	unlock := rt.lockFn(fn)
	defer unlock()
	rt.mu.Lock()
	closed := rt.closed
	rt.mu.Unlock()
	if closed && n > 0 {
		return fmt.Errorf("docker runtime: scale %s: %w", fn, ErrRuntimeClosed)
	}

	cs, err := rt.containers(ctx, fn)
	if err != nil {
		return err
	}
	var active []dockerContainer
	seq := 0
	var errs []error
	for _, c := range cs {
		seq = max(seq, c.seq)
		switch c.state {
		case "":
			// Exited for good (or dead): not a replica any more.
			if _, err := rt.cli.ContainerRemove(ctx, c.id, client.ContainerRemoveOptions{Force: true}); err != nil && !isNotFound(err) {
				errs = append(errs, fmt.Errorf("docker runtime: remove exited container %s: %w", c.name, err))
			}
		case ReplicaStopping:
		default:
			active = append(active, c)
		}
	}
	// cs is oldest first, so the surplus is the tail.
	for _, c := range slices.Backward(active) {
		if len(active) <= n {
			break
		}
		rt.stopAsync(fn, c, true)
		active = active[:len(active)-1]
	}
	if len(active) < n {
		if err := rt.checkImage(ctx, f); err != nil {
			return errors.Join(append(errs, err)...)
		}
	}
	for range n - len(active) {
		seq++
		next, err := rt.start(ctx, f, seq)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		seq = next
	}
	return errors.Join(errs...)
}

// Stop stops and removes one container of fn (named by its replica id or
// container id) and waits until it is gone or ctx ends.
func (rt *DockerRuntime) Stop(ctx context.Context, fn, id string) error {
	if _, ok := rt.cfg.Mesh.Function(fn); !ok {
		return fmt.Errorf("docker runtime: stop %q: %w", fn, ErrUnknownFunction)
	}
	unlock := rt.lockFn(fn)
	cs, err := rt.containers(ctx, fn)
	if err != nil {
		unlock()
		return err
	}
	i := slices.IndexFunc(cs, func(c dockerContainer) bool { return c.name == id || c.id == id })
	if i < 0 {
		unlock()
		return fmt.Errorf("docker runtime: stop %s/%s: %w", fn, id, ErrNoReplica)
	}
	s := rt.stopAsync(fn, cs[i], false)
	unlock()
	select {
	case <-s.done:
		return s.err
	case <-ctx.Done():
		return fmt.Errorf("docker runtime: stop %s/%s: %w", fn, id, ctx.Err())
	}
}

// Close stops and removes every container of the mesh and waits until they
// are gone or ctx ends (the engine still kills each one after StopTimeout).
// After Close, Scale accepts only zero. Close is idempotent.
func (rt *DockerRuntime) Close(ctx context.Context) error {
	rt.mu.Lock()
	rt.closed = true
	rt.mu.Unlock()
	var errs []error
	for i := range rt.cfg.Mesh.Functions {
		if err := rt.Scale(ctx, rt.cfg.Mesh.Functions[i].Name, 0); err != nil {
			errs = append(errs, err)
		}
	}
	done := make(chan struct{})
	go func() {
		rt.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("docker runtime: close: containers still stopping: %w", ctx.Err()))
	}
	return errors.Join(errs...)
}

// stopAsync starts stopping and removing c unless that is under way, and
// returns the handle to wait on. With report, a failure is logged (nobody
// waits for the outcome).
func (rt *DockerRuntime) stopAsync(fn string, c dockerContainer, report bool) *dockerStop {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if s, ok := rt.stopping[c.id]; ok {
		return s
	}
	s := &dockerStop{done: make(chan struct{})}
	rt.stopping[c.id] = s
	rt.wg.Add(1)
	rt.log.Info("docker runtime: stopping container", "function", fn, "replica", c.name, "timeout", rt.cfg.StopTimeout)
	go func() {
		defer rt.wg.Done()
		s.err = rt.stopAndRemove(fn, c)
		if s.err != nil && report {
			rt.log.Warn("docker runtime: container not removed", "function", fn, "replica", c.name, "err", s.err)
		}
		rt.mu.Lock()
		delete(rt.stopping, c.id)
		rt.mu.Unlock()
		close(s.done)
	}()
	return s
}

// stopAndRemove asks the engine to stop c (SIGTERM, SIGKILL after
// stopSecs) and removes it. It does not depend on the caller's context: a
// replica that is told to stop is always cleaned up.
func (rt *DockerRuntime) stopAndRemove(fn string, c dockerContainer) error {
	ctx, cancel := context.WithTimeout(context.Background(), rt.stopGrace)
	defer cancel()
	secs := rt.stopSecs
	_, stopErr := rt.cli.ContainerStop(ctx, c.id, client.ContainerStopOptions{Timeout: &secs})
	if stopErr != nil && !isNotFound(stopErr) {
		rt.log.Warn("docker runtime: stop failed, removing by force", "function", fn, "replica", c.name, "err", stopErr)
	}
	_, err := rt.cli.ContainerRemove(ctx, c.id, client.ContainerRemoveOptions{Force: true})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("docker runtime: remove container %s: %w", c.name, err)
	}
	rt.log.Info("docker runtime: container removed", "function", fn, "replica", c.name)
	return nil
}
