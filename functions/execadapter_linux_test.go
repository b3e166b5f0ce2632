//go:build linux

package functions

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/poll"
)

// TestExecChildDiesWithWorker runs an exec adapter in a child copy of the
// test binary (the worker), kills that worker with SIGKILL while its sh
// program sleeps, and checks that the program is gone within a second.
func TestExecChildDiesWithWorker(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	worker := exec.Command(os.Args[0], "-test.run=^TestExecChildWorkerHelper$")
	worker.Env = append(os.Environ(), "FNMESH_EXEC_HELPER="+out)
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	go func() {
		_ = worker.Wait()
		close(waited)
	}()
	t.Cleanup(func() {
		_ = worker.Process.Kill()
		<-waited
	})
	pidFile := filepath.Join(out, "pid")
	poll.Until(t, 20*time.Second, "the exec program to start", func() bool {
		_, err := os.Stat(pidFile)
		return err == nil
	})
	pid := readPid(t, pidFile)
	// The program's sleep is in its group; whatever survives goes at the end.
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })

	if err := worker.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-waited
	poll.Until(t, time.Second, "the exec program to die with its worker", func() bool { return !alive(pid) })
}

// TestExecChildWorkerHelper is the worker of TestExecChildDiesWithWorker;
// it does nothing in a normal run.
func TestExecChildWorkerHelper(t *testing.T) {
	out := os.Getenv("FNMESH_EXEC_HELPER")
	if out == "" {
		t.Skip("runs as the worker process of TestExecChildDiesWithWorker")
	}
	prog := `echo $$ > "$OUT/pid.tmp"; mv "$OUT/pid.tmp" "$OUT/pid"; sleep 30`
	h := NewExecAdapter([]string{"sh", "-c", prog}, "", append(os.Environ(), "OUT="+out))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = h.Handle(ctx, testEvent(t, "sleepy"))
}
