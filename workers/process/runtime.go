package process

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

	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// Defaults of Config.
const (
	// DefaultStopTimeout is how long a stopping process may drain before
	// its process group is killed; a little more than the worker's own
	// default drain bound (30s).
	DefaultStopTimeout = 35 * time.Second
	// DefaultRestartMin and DefaultRestartMax bound the delay before a
	// crashed process is restarted; the delay doubles on each crash.
	DefaultRestartMin = time.Second
	DefaultRestartMax = 30 * time.Second
	// DefaultHealthyAfter is how long a process must run for the restart
	// delay to start again from DefaultRestartMin.
	DefaultHealthyAfter = time.Minute
)

// Config configures a Runtime.
type Config struct {
	// Functions are the functions the runtime may run. Required.
	Functions []scale.Workload
	// MeshFile is the path of the mesh file: workers are given its absolute
	// path as FNMESH_FILE, and Workload.Dir is relative to its directory.
	// Required.
	MeshFile string
	// Self is the path of the fnmesh binary (os.Executable()), which runs
	// Generic workloads as `fnmesh worker --function NAME -f FILE`.
	Self string
	// NATS says how workers reach the broker (NATS_URL and its credentials).
	NATS workerenv.NATS
	// Env is added to the environment of every worker (after the OTEL_* and
	// system variables of this process, workerenv.Local, and before the
	// function's own env and secrets).
	Env []string
	// StopTimeout is how long a stopped worker may drain before its process
	// group is killed. Default DefaultStopTimeout.
	StopTimeout time.Duration
	// RestartMin and RestartMax bound the exponential delay before a crashed
	// worker is restarted. Defaults DefaultRestartMin and DefaultRestartMax
	// (RestartMax is raised to RestartMin).
	RestartMin, RestartMax time.Duration
	// HealthyAfter is the run time after which a crash restarts the delay
	// from RestartMin. Default DefaultHealthyAfter.
	HealthyAfter time.Duration
}

func (c *Config) setDefaults() {
	if c.StopTimeout <= 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	if c.RestartMin <= 0 {
		c.RestartMin = DefaultRestartMin
	}
	if c.RestartMax <= 0 {
		c.RestartMax = DefaultRestartMax
	}
	c.RestartMax = max(c.RestartMax, c.RestartMin)
	if c.HealthyAfter <= 0 {
		c.HealthyAfter = DefaultHealthyAfter
	}
}

// Validate checks what New cannot default.
func (c Config) Validate() error {
	var errs []error
	if c.MeshFile == "" {
		errs = append(errs, errors.New("process runtime: MeshFile is empty: workers need the mesh file's path"))
	}
	if _, err := scale.IndexWorkloads("process runtime", c.Functions); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Runtime runs worker replicas as local child processes, each in its own
// process group, restarted with backoff when they crash. It is the runtime
// of `fnmesh up`.
type Runtime struct {
	cfg      Config
	meshFile string // absolute
	fns      scale.Workloads
	log      *slog.Logger
	environ  func() []string // what workerenv.Local filters (os.Environ)

	mu       sync.Mutex
	closed   bool
	replicas map[string][]*replica // by function, oldest first
	seq      map[string]int        // last replica number by function
	ports    map[int]bool          // health ports held by live replicas
}

var (
	_ scale.Runtime = (*Runtime)(nil)
	_ scale.Checker = (*Runtime)(nil)
)

// New applies cfg's defaults, then the options, checks cfg and returns a
// runtime with no replica running.
func New(cfg Config, opts ...scale.Option) (*Runtime, error) {
	cfg.setDefaults()
	o := scale.ApplyOptions(opts)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(cfg.MeshFile)
	if err != nil {
		return nil, fmt.Errorf("process runtime: mesh file: %w", err)
	}
	fns, _ := scale.IndexWorkloads("process runtime", cfg.Functions) // valid
	return &Runtime{
		cfg: cfg, meshFile: abs, fns: fns, log: o.Log, environ: os.Environ,
		replicas: map[string][]*replica{},
		seq:      map[string]int{},
		ports:    map[int]bool{},
	}, nil
}

// List returns the replicas of fn, oldest first.
func (rt *Runtime) List(_ context.Context, fn string) ([]scale.Replica, error) {
	if _, err := rt.fns.Lookup("list", fn); err != nil {
		return nil, err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make([]scale.Replica, 0, len(rt.replicas[fn]))
	for _, r := range rt.replicas[fn] {
		out = append(out, scale.Replica{ID: r.id, Started: r.started, State: r.state})
	}
	return out, nil
}

// Scale starts or stops processes of fn until n are not stopping. Surplus
// processes are stopped newest first: SIGTERM to the process group, then
// SIGKILL after StopTimeout. Scale does not wait for them to exit.
func (rt *Runtime) Scale(_ context.Context, fn string, n int) error {
	f, err := rt.fns.ForScale(fn, n)
	if err != nil {
		return err
	}
	spec, err := rt.spec(f)
	if err != nil && n > 0 {
		return err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		if n == 0 {
			return nil
		}
		return fmt.Errorf("process runtime: scale %s: %w", fn, scale.ErrRuntimeClosed)
	}
	active := slices.DeleteFunc(slices.Clone(rt.replicas[fn]), func(r *replica) bool { return r.state == scale.ReplicaStopping })
	for i := len(active) - 1; i >= n; i-- {
		active[i].stop()
	}
	for range n - len(active) {
		rt.seq[fn]++
		r := newReplica(rt, spec, fmt.Sprintf("%s-%d", fn, rt.seq[fn]), rt.seq[fn])
		r.healthAddr, r.healthPort = rt.allocHealth(spec)
		rt.replicas[fn] = append(rt.replicas[fn], r)
		go r.supervise()
	}
	return nil
}

// Check reports why the workers of fn cannot start (their command or
// exec program is not found), nil when they can.
func (rt *Runtime) Check(_ context.Context, fn string) error {
	f, err := rt.fns.Lookup("check", fn)
	if err != nil {
		return err
	}
	_, err = rt.spec(f)
	return err
}

// Stop stops one replica of fn and waits until its process has exited or
// ctx ends.
func (rt *Runtime) Stop(ctx context.Context, fn, id string) error {
	rt.mu.Lock()
	var r *replica
	for _, x := range rt.replicas[fn] {
		if x.id == id {
			r = x
		}
	}
	if r != nil {
		r.stop()
	}
	rt.mu.Unlock()
	if r == nil {
		return fmt.Errorf("process runtime: stop %s/%s: %w", fn, id, scale.ErrNoReplica)
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("process runtime: stop %s/%s: %w", fn, id, ctx.Err())
	}
}

// Close stops every replica and waits until all have exited. When ctx ends
// first, the remaining process groups are killed. Close is idempotent; after
// it Scale accepts only zero.
func (rt *Runtime) Close(ctx context.Context) error {
	rt.mu.Lock()
	rt.closed = true
	var all []*replica
	for _, rs := range rt.replicas {
		for _, r := range rs {
			r.stop()
			all = append(all, r)
		}
	}
	rt.mu.Unlock()
	for _, r := range all {
		select {
		case <-r.done:
		case <-ctx.Done():
			for _, r := range all {
				r.kill()
			}
			for _, r := range all {
				<-r.done
			}
			return fmt.Errorf("process runtime: close: workers killed: %w", ctx.Err())
		}
	}
	return nil
}

// remove forgets a replica whose supervisor has ended.
func (rt *Runtime) remove(r *replica) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.releaseHealth(r.healthPort)
	rt.replicas[r.spec.fn] = slices.DeleteFunc(rt.replicas[r.spec.fn], func(x *replica) bool { return x == r })
	if len(rt.replicas[r.spec.fn]) == 0 {
		delete(rt.replicas, r.spec.fn)
	}
}

// setState records a replica's state and start time.
func (rt *Runtime) setState(r *replica, state string, started time.Time) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if r.state == scale.ReplicaStopping && state != scale.ReplicaStopping {
		return
	}
	r.state = state
	if !started.IsZero() {
		r.started = started
	}
}
