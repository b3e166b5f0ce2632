//go:build unix

package process_test

import (
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/scale/runtimetest"
)

// TestConformance runs the runtime suite with the suite's drainer as a
// local process.
func TestConformance(t *testing.T) {
	t.Parallel()
	drainer := runtimetest.BuildDrainer(t)
	var out string // the drainers' directory of the current test
	runtimetest.Run(t, runtimetest.Harness{
		Function: "drain",
		New: func(t *testing.T) scale.Runtime {
			out = t.TempDir()
			cfg := shellMesh(t, scale.Workload{Function: "drain", Command: []string{drainer}, Env: map[string]string{"OUT": out}})
			cfg.StopTimeout = 20 * time.Second
			rt, _ := newProcRuntime(t, cfg)
			return rt
		},
		Ready:   func(_ *testing.T, id string) bool { return runtimetest.Marked(out, id, "ready") },
		Drained: func(_ *testing.T, id string) bool { return runtimetest.Marked(out, id, "drained") },
	})
}
