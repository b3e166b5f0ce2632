package meshmap

import (
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers"
)

// Load reads the mesh file at path with the components' defaults and rules
// applied too (config.LoadWith with Components).
func Load(path string) (*config.Mesh, error) { return config.LoadWith(path, Components()) }

// Parse is Load for a mesh file held in memory.
func Parse(filename string, data []byte) (*config.Mesh, error) {
	return config.ParseWith(filename, data, Components())
}

// Components are the defaults and rules of the workers and the scaler,
// applied to the functions of a mesh.
func Components() config.Components { return components{} }

type components struct{}

// SetDefaults writes the components' defaults into every function, so the
// mesh shows the settings its functions run with.
func (components) SetDefaults(m *config.Mesh) {
	for i := range m.Functions {
		fn := &m.Functions[i]
		c := Worker(m, fn).WithDefaults()
		fn.Concurrency = c.Concurrency
		fn.Timeout = config.Duration(c.Timeout)
		fn.AckWait = config.Duration(c.AckWait)
		fn.StartFrom = c.StartFrom
		fn.Delivery = config.Delivery{
			Retry:         c.Delivery.Retry,
			BackoffPolicy: c.Delivery.BackoffPolicy,
			BackoffDelay:  config.Duration(c.Delivery.BackoffDelay),
			BackoffMax:    config.Duration(c.Delivery.BackoffMax),
			DeadLetter:    c.Delivery.DeadLetter,
		}
		p := Params(fn).WithDefaults()
		fn.Scaling.MinReplicaCount = new(p.Min)
		fn.Scaling.MaxReplicaCount = p.Max
		fn.Scaling.LagThreshold = p.LagThreshold
		fn.Scaling.CooldownPeriod = config.Duration(p.Cooldown)
		fn.Scaling.PollingInterval = config.Duration(p.PollingInterval)
	}
}

// Check validates every function with the workers' and the scaler's own
// rules, at the paths of the mesh file.
func (components) Check(m *config.Mesh) []config.Violation {
	var out []config.Violation
	for i := range m.Functions {
		fn := &m.Functions[i]
		at := config.Path{}.Key("functions").Index(i)
		for _, fe := range workers.FieldErrors(Worker(m, fn).WithDefaults().Validate()) {
			out = append(out, config.Violation{Path: workerPath(at, fe.Path), Rule: fe.Rule})
		}
		for _, fe := range workers.FieldErrors(Params(fn).WithDefaults().Validate()) {
			out = append(out, config.Violation{Path: meshPath(at.Key("scaling"), fe.Path), Rule: fe.Rule})
		}
	}
	return out
}

// workerPath is where a setting of workers.Config is in a function of the
// mesh file: the same name, except for the two the mesh spells otherwise.
func workerPath(fn config.Path, p []workers.PathStep) config.Path {
	if len(p) == 1 && !p[0].IsIndex {
		switch p[0].Key {
		case "function":
			return fn.Key("name")
		case "maxReplicas":
			return fn.Key("scaling").Key("maxReplicaCount")
		}
	}
	return meshPath(fn, p)
}

// meshPath appends the steps of p to base.
func meshPath(base config.Path, p []workers.PathStep) config.Path {
	for _, s := range p {
		if s.IsIndex {
			base = base.Index(s.Index)
		} else {
			base = base.Key(s.Key)
		}
	}
	return base
}
