package scale

import (
	"context"
	"errors"
	"time"
)

// Runtime runs the worker replicas of functions: local processes, Docker
// containers or a Kubernetes Deployment. The Scaler applies the counts it
// decides through a Runtime. Implementations are safe for concurrent use;
// calls for different functions may overlap.
//
// Scaling down drains: a replica that is stopped is told to stop (SIGTERM,
// a container stop or a pod deletion with a grace period), stops pulling,
// finishes or naks the events it holds, and exits. It is killed only when it
// has not exited within the runtime's stop timeout. An event a killed replica
// held is not lost: the broker redelivers it after the function's ackWait.
type Runtime interface {
	// List returns the replicas of fn, including those that are starting,
	// waiting to be restarted after a crash (ReplicaBackoff) or stopping
	// (ReplicaStopping). The Scaler counts every replica that is not
	// stopping.
	List(ctx context.Context, fn string) ([]Replica, error)
	// Scale sets the number of replicas of fn to n (n >= 0). It starts
	// missing replicas and tells surplus ones to stop, newest first. It
	// returns once the change is under way; it does not wait for stopping
	// replicas to exit (List shows them as ReplicaStopping until they are
	// gone).
	Scale(ctx context.Context, fn string, n int) error
	// Stop drains and stops one replica of fn and waits until it has exited
	// or ctx ends. A replica that does not exist is ErrNoReplica.
	Stop(ctx context.Context, fn string, id string) error
}

// Replica is one running copy of a function's worker.
type Replica struct {
	// ID identifies the replica within its function (process: "<fn>-<n>",
	// container or pod name otherwise). Workers see it as FNMESH_REPLICA.
	ID string `json:"id"`
	// Started is when the current process, container or pod was started.
	Started time.Time `json:"started"`
	// State is one of the Replica* constants.
	State string `json:"state"`
}

// Replica states reported by runtimes.
const (
	// ReplicaStarting: created, not yet known to be running.
	ReplicaStarting = "starting"
	// ReplicaRunning: running.
	ReplicaRunning = "running"
	// ReplicaBackoff: exited unexpectedly, waiting to be restarted.
	ReplicaBackoff = "backoff"
	// ReplicaStopping: told to stop, draining.
	ReplicaStopping = "stopping"
)

// Errors of runtimes, for errors.Is.
var (
	// ErrUnknownFunction means the runtime was asked about a function the
	// mesh does not declare.
	ErrUnknownFunction = errors.New("unknown function")
	// ErrNoReplica means Stop named a replica that does not exist.
	ErrNoReplica = errors.New("no such replica")
	// ErrRuntimeClosed means the runtime was closed.
	ErrRuntimeClosed = errors.New("runtime closed")
	// ErrNotRunnable means the runtime cannot run the function as declared
	// (e.g. run.image on the process runtime).
	ErrNotRunnable = errors.New("function cannot run on this runtime")
)

// activeReplicas counts the replicas that are not stopping.
func activeReplicas(rs []Replica) int {
	n := 0
	for _, r := range rs {
		if r.State != ReplicaStopping {
			n++
		}
	}
	return n
}

// Runtime kinds a Workload may ask for.
const (
	// RuntimeProcess runs local child processes.
	RuntimeProcess = "process"
	// RuntimeDocker runs Docker containers.
	RuntimeDocker = "docker"
	// RuntimeKubernetes scales a Kubernetes Deployment.
	RuntimeKubernetes = "kubernetes"
)

// Workload is how the replicas of one function run: what a Runtime needs
// to start them. Which fields apply depends on the runtime: a process runs
// Command (or fnmesh's own worker when Generic), a container runs Image.
type Workload struct {
	// Function is the function's name. Required.
	Function string
	// Runtime is the runtime the function asks for (one of the Runtime*
	// constants); a runtime refuses a workload meant for another. Empty
	// means any.
	Runtime string
	// Command is the worker program and its arguments.
	Command []string
	// Generic runs the function with fnmesh's generic worker
	// (`fnmesh worker --function NAME`), which adapts an HTTP endpoint or a
	// program run per event.
	Generic bool
	// Dir is the working directory of a process, relative to the mesh
	// file's directory unless absolute.
	Dir string
	// Image is the container image.
	Image string
	// Env is the function's own environment.
	Env map[string]string
	// SecretEnv are the function's secrets, resolved: set like Env (and
	// after it), never logged.
	SecretEnv map[string]string
}
