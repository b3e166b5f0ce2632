package docker

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

	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// Labels of the containers a Runtime runs. List finds a function's
// containers by the first two, so containers left by an earlier run of the
// same mesh are adopted.
const (
	// LabelFunction holds the function's name.
	LabelFunction = "dev.fnmesh.function"
	// LabelMesh holds the mesh's name (Config.Mesh).
	LabelMesh = "dev.fnmesh.mesh"
	// LabelReplica holds the replica's sequence number within its
	// function; higher is newer.
	LabelReplica = "dev.fnmesh.replica"
)

// Defaults of Config.
const (
	// DefaultMeshFile is where workers find the mesh file inside their
	// containers (the path the Kubernetes manifests mount it at, too).
	DefaultMeshFile = "/etc/fnmesh/mesh.yaml"
	// DefaultMesh is the mesh name of a mesh file without metadata.name.
	DefaultMesh = "default"
	// DefaultStopTimeout is how long a stopped container may drain before
	// the engine kills it; a little more than the worker's own default
	// drain bound (30s).
	DefaultStopTimeout = 35 * time.Second
)

// ErrImageMissing means a function's run.image is not present on the Docker
// engine. The runtime never pulls: build or load the image first.
var ErrImageMissing = errors.New("image not present on the docker engine")

// Config configures a Runtime.
type Config struct {
	// Functions are the functions the runtime may run; each needs an Image.
	// Required.
	Functions []scale.Workload
	// Client talks to the engine, e.g. client.New(client.FromEnv,
	// client.WithAPIVersionNegotiation()). Required; the runtime does not
	// close it.
	Client *client.Client
	// Mesh names the mesh in the containers' labels and names. Default
	// DefaultMesh.
	Mesh string
	// Network is the network containers join: "host", "bridge" or the name
	// of a user-defined network. Default: the engine's default (bridge).
	Network string
	// NATS says how workers reach the broker; the URL must work from inside
	// the containers (e.g. nats://fnmesh:4222 on a user network, or
	// nats://127.0.0.1:4222 with Network "host"). NATS.URL is required.
	NATS workerenv.NATS
	// MeshFile is the mesh file's path inside the containers, given to
	// workers as FNMESH_FILE. Default DefaultMeshFile.
	MeshFile string
	// MountMeshFile, when set, is the mesh file on the engine's host,
	// bind-mounted read-only at MeshFile (made absolute; it only works when
	// fnmesh and the engine share a filesystem). Leave it empty when the
	// image holds the file or Binds mounts it.
	MountMeshFile string
	// Binds are extra bind mounts, "host-path:container-path[:ro]".
	Binds []string
	// Env is added to every worker's environment, after the OTEL_*
	// variables of this process and before the function's env.
	Env []string
	// StopTimeout is how long a stopped container may drain before the
	// engine kills it (rounded up to whole seconds). Default
	// DefaultStopTimeout.
	StopTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.Mesh == "" {
		c.Mesh = DefaultMesh
	}
	if c.MeshFile == "" {
		c.MeshFile = DefaultMeshFile
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = DefaultStopTimeout
	}
}

// Validate checks what New cannot default.
func (c Config) Validate() error {
	var errs []error
	if c.Client == nil {
		errs = append(errs, errors.New("docker runtime: Client is nil"))
	}
	if c.NATS.URL == "" {
		errs = append(errs, errors.New("docker runtime: NATS.URL is empty: workers need the broker's URL as seen from their containers"))
	}
	if _, err := scale.IndexWorkloads("docker runtime", c.Functions); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Runtime runs the workers of functions as Docker containers from their
// images, labelled with the function and the mesh, restarted by the engine
// when they fail (restart policy on-failure). Images are never pulled; an
// image that is missing is ErrImageMissing.
type Runtime struct {
	cli       *client.Client
	cfg       Config
	fns       scale.Workloads
	log       *slog.Logger
	meshBind  string // "abs:MeshFile:ro" when MountMeshFile is set
	stopSecs  int
	environ   func() []string
	stopGrace time.Duration // how long a stop goroutine may take in all

	fnMu sync.Map // function name -> *sync.Mutex, orders Scale and Stop per function

	// logCtx ends the forwarding of container output (forwardLogs) at Close.
	logCtx    context.Context
	logCancel context.CancelFunc

	mu       sync.Mutex
	closed   bool
	stopping map[string]*stop // by container ID
	wg       sync.WaitGroup
}

// stop is a container being stopped and removed.
type stop struct {
	done chan struct{}
	err  error // set before done is closed
}

var (
	_ scale.Runtime = (*Runtime)(nil)
	_ scale.Checker = (*Runtime)(nil)
)

// New applies cfg's defaults, then the options, checks cfg and returns a
// runtime. It does not contact the engine.
func New(cfg Config, opts ...scale.Option) (*Runtime, error) {
	cfg.setDefaults()
	o := scale.ApplyOptions(opts)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	fns, _ := scale.IndexWorkloads("docker runtime", cfg.Functions) // valid
	rt := &Runtime{
		cli: cfg.Client, cfg: cfg, log: o.Log, fns: fns,
		stopSecs: int((cfg.StopTimeout + time.Second - 1) / time.Second),
		environ:  os.Environ,
		stopping: map[string]*stop{},
	}
	rt.stopGrace = time.Duration(rt.stopSecs)*time.Second + time.Minute
	rt.logCtx, rt.logCancel = context.WithCancel(context.Background())
	if cfg.MountMeshFile != "" {
		abs, err := filepath.Abs(cfg.MountMeshFile)
		if err != nil {
			return nil, fmt.Errorf("docker runtime: mesh file: %w", err)
		}
		rt.meshBind = abs + ":" + cfg.MeshFile + ":ro"
	}
	return rt, nil
}

// lockFn serializes Scale and Stop of one function.
func (rt *Runtime) lockFn(fn string) func() {
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
func (rt *Runtime) List(ctx context.Context, fn string) ([]scale.Replica, error) {
	if _, err := rt.fns.Lookup("list", fn); err != nil {
		return nil, err
	}
	cs, err := rt.containers(ctx, fn)
	if err != nil {
		return nil, err
	}
	out := make([]scale.Replica, 0, len(cs))
	for _, c := range cs {
		if c.state == "" {
			continue
		}
		out = append(out, scale.Replica{ID: c.name, Started: c.created, State: c.state})
	}
	return out, nil
}

// Scale starts or stops containers of fn until n are not stopping. Surplus
// containers are stopped newest first: the engine sends SIGTERM and kills
// the container after StopTimeout; it is then removed. Scale does not wait
// for them.
func (rt *Runtime) Scale(ctx context.Context, fn string, n int) error {
	f, err := rt.fns.ForScale(fn, n)
	if err != nil {
		return err
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
		return fmt.Errorf("docker runtime: scale %s: %w", fn, scale.ErrRuntimeClosed)
	}

	cs, err := rt.containers(ctx, fn)
	if err != nil {
		return err
	}
	var active []containerInfo
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
		case scale.ReplicaStopping:
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

// Check reports why the containers of fn cannot start (no run.image, or
// the image is not on the engine), nil when they can.
func (rt *Runtime) Check(ctx context.Context, fn string) error {
	f, err := rt.fns.Lookup("check", fn)
	if err != nil {
		return err
	}
	if err := dockerRunnable(f); err != nil {
		return err
	}
	return rt.checkImage(ctx, f)
}

// Stop stops and removes one container of fn (named by its replica id or
// container id) and waits until it is gone or ctx ends.
func (rt *Runtime) Stop(ctx context.Context, fn, id string) error {
	if _, err := rt.fns.Lookup("stop", fn); err != nil {
		return err
	}
	unlock := rt.lockFn(fn)
	cs, err := rt.containers(ctx, fn)
	if err != nil {
		unlock()
		return err
	}
	i := slices.IndexFunc(cs, func(c containerInfo) bool { return c.name == id || c.id == id })
	if i < 0 {
		unlock()
		return fmt.Errorf("docker runtime: stop %s/%s: %w", fn, id, scale.ErrNoReplica)
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
func (rt *Runtime) Close(ctx context.Context) error {
	rt.mu.Lock()
	rt.closed = true
	rt.mu.Unlock()
	var errs []error
	for _, w := range rt.cfg.Functions {
		if err := rt.Scale(ctx, w.Function, 0); err != nil {
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
	rt.logCancel()
	return errors.Join(errs...)
}

// stopAsync starts stopping and removing c unless that is under way, and
// returns the handle to wait on. With report, a failure is logged (nobody
// waits for the outcome).
func (rt *Runtime) stopAsync(fn string, c containerInfo, report bool) *stop {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if s, ok := rt.stopping[c.id]; ok {
		return s
	}
	s := &stop{done: make(chan struct{})}
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
func (rt *Runtime) stopAndRemove(fn string, c containerInfo) error {
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
