//go:build linux

package process_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/workers/process"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// TestProcessRuntimeWorkersDieWithParent runs a runtime in a child copy of
// the test binary, kills that copy without any cleanup, and checks that its
// worker got SIGTERM and exited.
func TestProcessRuntimeWorkersDieWithParent(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestProcessRuntimeParentHelper$")
	cmd.Env = append(os.Environ(), "FNMESH_PDEATH_HELPER="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helper: %v\n%s", err, b)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(readFileEventually(t, filepath.Join(out, "pid"))))
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "the orphaned worker to exit", func() bool { return syscall.Kill(pid, 0) != nil })
	readFileEventually(t, filepath.Join(out, "term"))
}

// TestProcessRuntimeParentHelper is the parent process of
// TestProcessRuntimeWorkersDieWithParent; it does nothing in a normal run.
func TestProcessRuntimeParentHelper(t *testing.T) {
	out := os.Getenv("FNMESH_PDEATH_HELPER")
	if out == "" {
		t.Skip("runs as the helper process of TestProcessRuntimeWorkersDieWithParent")
	}
	fn := shellFn("orphan", `trap 'echo term > "$OUT/term"; exit 0' TERM; echo $$ > "$OUT/pid.tmp"; mv "$OUT/pid.tmp" "$OUT/pid"; while :; do sleep 0.05; done`)
	fn.Env = map[string]string{"OUT": out}
	// The mesh lives in out: a helper that exits without cleanup leaves no temporary directory.
	rt, err := process.New(process.Config{MeshFile: filepath.Join(out, "mesh.yaml"), Functions: []scale.Workload{fn}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Scale(context.Background(), "orphan", 1); err != nil {
		t.Fatal(err)
	}
	readFileEventually(t, filepath.Join(out, "pid")) // written after the trap is set
	os.Exit(0)                                       // no Close: the kernel has to stop the worker
}
