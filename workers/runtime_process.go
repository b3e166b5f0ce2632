package workers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/fnmesh/fnmesh/internal/config"
)

// Defaults of ProcessConfig.
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

// ProcessConfig configures a ProcessRuntime.
type ProcessConfig struct {
	// Mesh is the loaded mesh file; Mesh.File must be set (workers are given
	// its absolute path as FNMESH_FILE).
	Mesh *config.Mesh
	// Self is the path of the fnmesh binary (os.Executable()), which runs
	// run.http and run.exec functions as `fnmesh worker --function NAME -f FILE`.
	Self string
	// NATSURL is given to workers as NATS_URL.
	NATSURL string
	// Env is added to the environment of every worker (after os.Environ()
	// and before the function's own env).
	Env []string
	// Log receives the runtime's events and the workers' output, one record
	// per line tagged with function and replica. Nil discards.
	Log *slog.Logger
	// StopTimeout is how long a stopped worker may drain before its process
	// group is killed. Default DefaultStopTimeout.
	StopTimeout time.Duration
	// RestartMin and RestartMax bound the exponential delay before a crashed
	// worker is restarted. Defaults DefaultRestartMin and DefaultRestartMax.
	RestartMin, RestartMax time.Duration
	// HealthyAfter is the run time after which a crash restarts the delay
	// from RestartMin. Default DefaultHealthyAfter.
	HealthyAfter time.Duration
}

// ProcessRuntime runs worker replicas as local child processes, each in its
// own process group, restarted with backoff when they crash. It is the
// runtime of `fnmesh up`.
type ProcessRuntime struct {
	cfg      ProcessConfig
	meshFile string // absolute
	log      *slog.Logger

	mu       sync.Mutex
	closed   bool
	replicas map[string][]*procReplica // by function, oldest first
	seq      map[string]int            // last replica number by function
}

var _ Runtime = (*ProcessRuntime)(nil)

// NewProcessRuntime checks cfg and returns a runtime with no replica running.
func NewProcessRuntime(cfg ProcessConfig) (*ProcessRuntime, error) {
	if cfg.Mesh == nil {
		return nil, errors.New("process runtime: Mesh is nil")
	}
	if cfg.Mesh.File == "" {
		return nil, errors.New("process runtime: Mesh.File is empty: workers need the mesh file's path")
	}
	abs, err := filepath.Abs(cfg.Mesh.File)
	if err != nil {
		return nil, fmt.Errorf("process runtime: mesh file: %w", err)
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = DefaultStopTimeout
	}
	if cfg.RestartMin <= 0 {
		cfg.RestartMin = DefaultRestartMin
	}
	if cfg.RestartMax <= 0 {
		cfg.RestartMax = DefaultRestartMax
	}
	cfg.RestartMax = max(cfg.RestartMax, cfg.RestartMin)
	if cfg.HealthyAfter <= 0 {
		cfg.HealthyAfter = DefaultHealthyAfter
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ProcessRuntime{
		cfg: cfg, meshFile: abs, log: log,
		replicas: map[string][]*procReplica{},
		seq:      map[string]int{},
	}, nil
}

// List returns the replicas of fn, oldest first.
func (rt *ProcessRuntime) List(_ context.Context, fn string) ([]Replica, error) {
	if _, ok := rt.cfg.Mesh.Function(fn); !ok {
		return nil, fmt.Errorf("process runtime: %q: %w", fn, ErrUnknownFunction)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make([]Replica, 0, len(rt.replicas[fn]))
	for _, r := range rt.replicas[fn] {
		out = append(out, Replica{ID: r.id, Started: r.started, State: r.state})
	}
	return out, nil
}

// Scale starts or stops processes of fn until n are not stopping. Surplus
// processes are stopped newest first: SIGTERM to the process group, then
// SIGKILL after StopTimeout. Scale does not wait for them to exit.
func (rt *ProcessRuntime) Scale(_ context.Context, fn string, n int) error {
	if n < 0 {
		return fmt.Errorf("process runtime: scale %s: replica count %d: must not be negative", fn, n)
	}
	f, ok := rt.cfg.Mesh.Function(fn)
	if !ok {
		return fmt.Errorf("process runtime: scale %q: %w", fn, ErrUnknownFunction)
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
		return fmt.Errorf("process runtime: scale %s: %w", fn, ErrRuntimeClosed)
	}
	active := slices.DeleteFunc(slices.Clone(rt.replicas[fn]), func(r *procReplica) bool { return r.state == ReplicaStopping })
	for i := len(active) - 1; i >= n; i-- {
		active[i].stop()
	}
	for range n - len(active) {
		rt.seq[fn]++
		r := newProcReplica(rt, spec, fmt.Sprintf("%s-%d", fn, rt.seq[fn]), rt.seq[fn])
		rt.replicas[fn] = append(rt.replicas[fn], r)
		go r.supervise()
	}
	return nil
}

// Stop stops one replica of fn and waits until its process has exited or
// ctx ends.
func (rt *ProcessRuntime) Stop(ctx context.Context, fn, id string) error {
	rt.mu.Lock()
	var r *procReplica
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
		return fmt.Errorf("process runtime: stop %s/%s: %w", fn, id, ErrNoReplica)
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
func (rt *ProcessRuntime) Close(ctx context.Context) error {
	rt.mu.Lock()
	rt.closed = true
	var all []*procReplica
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
func (rt *ProcessRuntime) remove(r *procReplica) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.replicas[r.spec.fn] = slices.DeleteFunc(rt.replicas[r.spec.fn], func(x *procReplica) bool { return x == r })
	if len(rt.replicas[r.spec.fn]) == 0 {
		delete(rt.replicas, r.spec.fn)
	}
}

// setState records a replica's state and start time.
func (rt *ProcessRuntime) setState(r *procReplica, state string, started time.Time) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if r.state == ReplicaStopping && state != ReplicaStopping {
		return
	}
	r.state = state
	if !started.IsZero() {
		r.started = started
	}
}

// sortedEnv returns the function's env as KEY=VALUE, sorted by key.
func sortedEnv(env map[string]string) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+env[k])
	}
	return out
}
