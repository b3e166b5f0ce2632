package meshmap

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// Params are the scaling settings of fn (KEDA's names in the mesh file).
// Settings left empty stay empty: the scaler applies the defaults.
func Params(fn *config.Function) scale.Params {
	s := fn.Scaling
	p := scale.Params{
		Max:             s.MaxReplicaCount,
		LagThreshold:    s.LagThreshold,
		Activation:      s.ActivationLagThreshold,
		Cooldown:        s.CooldownPeriod.D(),
		PollingInterval: s.PollingInterval.D(),
	}
	if s.MinReplicaCount != nil {
		p.Min = *s.MinReplicaCount
	}
	p.Cap = FlowCap(fn)
	return p
}

// FlowSummary describes the flow settings of fn for the status, e.g.
// "rate 100/1s" or "ordered by subject"; "" when none is set.
func FlowSummary(fn *config.Function) string {
	var parts []string
	if r := fn.RateLimit; r != nil {
		parts = append(parts, fmt.Sprintf("rate %d/%s", r.Events, r.Per.D()))
	}
	if o := fn.Ordering; o != nil {
		parts = append(parts, "ordered by "+o.Key)
	}
	if b := fn.Batch; b != nil {
		parts = append(parts, fmt.Sprintf("batch %d/%s", b.MaxEvents, b.MaxWait.D()))
	}
	return strings.Join(parts, ", ")
}

// FlowCap is the most replicas the flow settings of fn keep busy, 0 for
// no bound:
//
//   - rateLimit: ceil(events per second / concurrency), at least 1. A
//     replica with concurrency c whose handlers take up to 1 s starts c
//     events a second, so more replicas than that would wait for tokens
//     (for handlers slower than 1 s, raise concurrency). With batch,
//     concurrency counts batches of up to maxEvents: ceil(events per
//     second / (concurrency x maxEvents));
//   - ordering: 1, since one replica receives at a time (the pinned one;
//     see workers.Ordering) and more would stand by; also with rateLimit.
func FlowCap(fn *config.Function) int {
	switch {
	case fn.Ordering != nil:
		return 1
	case fn.RateLimit != nil && fn.RateLimit.Events > 0 && fn.RateLimit.Per.D() > 0:
		perSec := float64(fn.RateLimit.Events) / fn.RateLimit.Per.D().Seconds()
		perReplica := max(fn.Concurrency, 1)
		if fn.Batch != nil {
			perReplica *= max(fn.Batch.MaxEvents, 1)
		}
		return max(1, int(math.Ceil(perSec/float64(perReplica))))
	}
	return 0
}

// Runtime is the runtime fn asks for (run.runtime, defaulted by the mesh).
func Runtime(fn *config.Function) string {
	if fn.Run.Runtime == "" {
		return scale.RuntimeProcess
	}
	return fn.Run.Runtime
}

// Workload is how the replicas of fn run.
func Workload(fn *config.Function) scale.Workload {
	return scale.Workload{
		Function: fn.Name,
		Runtime:  Runtime(fn),
		Command:  slices.Clone(fn.Run.Command),
		Generic:  fn.Run.HTTP != nil || len(fn.Run.Exec) > 0,
		Exec:     slices.Clone(fn.Run.Exec),
		Dir:      fn.Run.Dir,
		Image:    fn.Run.Image,
		Env:      fn.Env,
	}
}

// Functions is what the scaling side needs to know about the functions of
// m that run on runtime (one of the scale.Runtime* constants): how the
// scaler sizes them, how the runtime runs them and how their consumers
// are derived, in the order m declares them.
type Functions struct {
	// Scaler holds each function's scaling settings.
	Scaler scale.Config
	// Workloads say how the runtime runs each function.
	Workloads []scale.Workload
	// Consumers are the functions' consume settings (the backlog source
	// reads and creates their consumers).
	Consumers []workers.Config
}

// FunctionsOn selects the functions of m that run on runtime ("" selects
// every function, as the in-cluster scaler scales them all).
func FunctionsOn(m *config.Mesh, runtime string) Functions {
	var out Functions
	for i := range m.Functions {
		fn := &m.Functions[i]
		if runtime != "" && Runtime(fn) != runtime {
			continue
		}
		out.Scaler.Functions = append(out.Scaler.Functions, scale.Function{Name: fn.Name, Params: Params(fn), Flow: FlowSummary(fn)})
		out.Workloads = append(out.Workloads, Workload(fn))
		out.Consumers = append(out.Consumers, Worker(m, fn))
	}
	return out
}

// WithSecrets returns f with the secretEnv of each of its functions in m
// resolved (from this process's environment, a file or a value) into the
// workload's SecretEnv. An error names the function and the variable.
func (f Functions) WithSecrets(m *config.Mesh) (Functions, error) {
	out := f
	out.Workloads = slices.Clone(f.Workloads)
	for i := range out.Workloads {
		w := &out.Workloads[i]
		fn, ok := m.Function(w.Function)
		if !ok || len(fn.SecretEnv) == 0 {
			continue
		}
		w.SecretEnv = make(map[string]string, len(fn.SecretEnv))
		for name, ref := range fn.SecretEnv {
			v, err := ref.Resolve()
			if err != nil {
				return f, fmt.Errorf("functions: %s: secretEnv.%s: %w", fn.Name, name, err)
			}
			w.SecretEnv[name] = string(v)
		}
	}
	return out, nil
}
