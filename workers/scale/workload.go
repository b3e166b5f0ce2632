package scale

import (
	"errors"
	"fmt"
)

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
	// Exec is the program a Generic worker runs per event, when it runs
	// one: a runtime checks that its interpreter can be found before it
	// starts the worker.
	Exec []string
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

// Workloads are the functions a runtime runs, by name.
type Workloads struct {
	runtime string
	byName  map[string]Workload
}

// IndexWorkloads checks the workloads a runtime is configured with (each
// names its function, and no function twice) and returns them by function.
// Errors name the runtime (e.g. "docker runtime") and the entry.
func IndexWorkloads(runtime string, ws []Workload) (Workloads, error) {
	out := make(map[string]Workload, len(ws))
	var errs []error
	for i, w := range ws {
		switch _, dup := out[w.Function]; {
		case w.Function == "":
			errs = append(errs, fmt.Errorf("%s: Functions[%d].Function: required", runtime, i))
		case dup:
			errs = append(errs, fmt.Errorf("%s: Functions[%d].Function %q: duplicate", runtime, i, w.Function))
		}
		out[w.Function] = w
	}
	return Workloads{runtime: runtime, byName: out}, errors.Join(errs...)
}

// Lookup returns the workload of fn for operation op ("list", "scale",
// ...); a function the runtime does not run is ErrUnknownFunction.
func (ws Workloads) Lookup(op, fn string) (Workload, error) {
	w, ok := ws.byName[fn]
	if !ok {
		return w, fmt.Errorf("%s: %s %q: %w", ws.runtime, op, fn, ErrUnknownFunction)
	}
	return w, nil
}

// ForScale is Lookup for Scale, which also refuses a negative count.
func (ws Workloads) ForScale(fn string, n int) (Workload, error) {
	if n < 0 {
		return Workload{}, fmt.Errorf("%s: scale %s: replica count %d: must not be negative", ws.runtime, fn, n)
	}
	return ws.Lookup("scale", fn)
}
