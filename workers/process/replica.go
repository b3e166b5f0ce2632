package process

import (
	"errors"
	"log/slog"
	"os/exec"
	"sync"
	"time"

	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/workerlog"
)

// replica is one replica slot of a function: a supervisor goroutine
// that runs the worker process and restarts it when it crashes.
type replica struct {
	rt   *Runtime
	spec spec
	id   string
	seq  int
	log  *slog.Logger
	// healthAddr is the replica's FNMESH_HEALTH_ADDR, kept across restarts
	// ("" for none); healthPort the port it holds in rt.ports (0 for none).
	healthAddr string
	healthPort int

	stopCh   chan struct{} // closed by stop
	stopOnce sync.Once
	killCh   chan struct{} // closed by kill: skip the rest of the drain
	killOnce sync.Once
	done     chan struct{} // closed when the supervisor has ended

	// guarded by rt.mu
	state   string
	started time.Time
}

func newReplica(rt *Runtime, spec spec, id string, seq int) *replica {
	return &replica{
		rt: rt, spec: spec, id: id, seq: seq,
		log:    rt.log.With("function", spec.fn, "replica", id),
		stopCh: make(chan struct{}), killCh: make(chan struct{}), done: make(chan struct{}),
		state: scale.ReplicaStarting,
	}
}

// stop tells the replica to drain and exit. The caller holds rt.mu.
func (r *replica) stop() {
	r.state = scale.ReplicaStopping
	r.stopOnce.Do(func() { close(r.stopCh) })
}

// kill ends a stopping replica's drain at once.
func (r *replica) kill() { r.killOnce.Do(func() { close(r.killCh) }) }

// supervise runs the worker until the replica is stopped, restarting it with
// exponential backoff when it exits on its own.
func (r *replica) supervise() {
	defer close(r.done)
	defer r.rt.remove(r)
	delay := r.rt.cfg.RestartMin
	for {
		ran, stopped := r.runOnce()
		if stopped {
			return
		}
		if ran >= r.rt.cfg.HealthyAfter {
			delay = r.rt.cfg.RestartMin
		}
		r.rt.setState(r, scale.ReplicaBackoff, time.Time{})
		r.log.Warn("worker restarts after backoff", "delay", delay, "ran", ran.Round(time.Millisecond))
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.stopCh:
			t.Stop()
			return
		}
		delay = min(2*delay, r.rt.cfg.RestartMax)
	}
}

// runOnce starts the process and waits until it exits or the replica is
// stopped. It reports how long the process ran and whether the replica was
// stopped (no restart).
func (r *replica) runOnce() (ran time.Duration, stopped bool) {
	select {
	case <-r.stopCh:
		return 0, true
	default:
	}
	cmd := r.spec.command(r.id, r.healthAddr)
	stdout := workerlog.New(r.log, "stdout")
	stderr := workerlog.New(r.log, "stderr")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// A grandchild holding the pipes open must not keep Wait from returning.
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		r.log.Error("worker did not start", "argv", r.spec.argv, "dir", r.spec.dir, "err", err)
		return 0, false
	}
	r.rt.setState(r, scale.ReplicaRunning, start)
	log := r.log.With("pid", cmd.Process.Pid)
	if r.healthAddr != "" {
		log = log.With("health_addr", r.healthAddr)
	}
	log.Info("worker started", "argv", r.spec.argv)

	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var err error
	select {
	case err = <-exited:
		stopped = r.isStopped()
	case <-r.stopCh:
		stopped = true
		err = r.drain(cmd, exited, log)
	}
	// Whatever the leader left behind in its group goes with it.
	killGroup(cmd)
	stdout.Flush()
	stderr.Flush()
	ran = time.Since(start)
	switch {
	case stopped:
		log.Info("worker stopped", "ran", ran.Round(time.Millisecond), "exit", exitText(err))
	default:
		log.Warn("worker exited unexpectedly", "ran", ran.Round(time.Millisecond), "exit", exitText(err))
	}
	return ran, stopped
}

// drain sends SIGTERM to the process group and waits StopTimeout for the
// worker to exit, then kills the group.
func (r *replica) drain(cmd *exec.Cmd, exited <-chan error, log *slog.Logger) error {
	log.Info("worker stopping", "timeout", r.rt.cfg.StopTimeout)
	terminateGroup(cmd)
	t := time.NewTimer(r.rt.cfg.StopTimeout)
	defer t.Stop()
	select {
	case err := <-exited:
		return err
	case <-t.C:
		log.Warn("worker did not exit in time, killing its process group", "timeout", r.rt.cfg.StopTimeout)
	case <-r.killCh:
		log.Warn("worker killed: runtime closing")
	}
	killGroup(cmd)
	return <-exited
}

func (r *replica) isStopped() bool {
	select {
	case <-r.stopCh:
		return true
	default:
		return false
	}
}

// exitText describes how a process ended.
func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ProcessState.String()
	}
	return err.Error()
}
