package process

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// healthBase is the FNMESH_HEALTH_ADDR a function's env (or Config.Env)
// asks for: the first port of its replicas. A zero port leaves the port to
// the system (every replica gets its own).
type healthBase struct {
	host string
	port int // 0: each replica binds a port of the system's choosing
	set  bool
}

// healthFrom takes FNMESH_HEALTH_ADDR out of env and parses it.
func healthFrom(fn string, env []string) ([]string, healthBase, error) {
	i := slices.IndexFunc(env, func(kv string) bool { return strings.HasPrefix(kv, workerenv.HealthAddr+"=") })
	if i < 0 {
		return env, healthBase{}, nil
	}
	addr := strings.TrimPrefix(env[i], workerenv.HealthAddr+"=")
	env = slices.Delete(slices.Clone(env), i, i+1)
	if addr == "" {
		return env, healthBase{}, nil
	}
	host, p, err := net.SplitHostPort(addr)
	port, perr := strconv.Atoi(p)
	if err != nil || perr != nil || port < 0 || port > 65535 {
		return nil, healthBase{}, fmt.Errorf("process runtime: function %s: env %s %q: want host:port (port 0-65535, the first of the replicas' ports): %w",
			fn, workerenv.HealthAddr, addr, scale.ErrNotRunnable)
	}
	return env, healthBase{host: host, port: port, set: true}, nil
}

// allocHealth picks the health address of a new replica of s: the lowest
// port from the function's base on that no live replica of this runtime
// holds (whatever its function) and that can be bound now, so that local
// replicas never share a port. It returns "" when the function asks for
// no health address. The caller holds rt.mu; releaseHealth gives the port
// back when the replica has ended.
func (rt *Runtime) allocHealth(s spec) (addr string, port int) {
	switch {
	case !s.health.set:
		return "", 0
	case s.health.port == 0:
		return net.JoinHostPort(s.health.host, "0"), 0
	}
	for p := s.health.port; p <= 65535; p++ {
		if rt.ports[p] || !bindable(s.health.host, p) {
			continue
		}
		rt.ports[p] = true
		return net.JoinHostPort(s.health.host, strconv.Itoa(p)), p
	}
	// Every port above the base is taken: the worker reports the bind error.
	return net.JoinHostPort(s.health.host, strconv.Itoa(s.health.port)), 0
}

// releaseHealth frees a port allocHealth gave. The caller holds rt.mu.
func (rt *Runtime) releaseHealth(port int) {
	if port > 0 {
		delete(rt.ports, port)
	}
}

// bindable reports whether host:port can be listened on now (another
// program may hold it).
func bindable(host string, port int) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = ln.Close()
	return true
}
