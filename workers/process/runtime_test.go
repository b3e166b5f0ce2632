//go:build unix

package process_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/fnmesh/fnmesh/internal/logtest"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/workers/process"
	"github.com/fnmesh/fnmesh/workers/scale"
)

func has(t *testing.T, s *logtest.Buffer, match map[string]any) bool {
	t.Helper()
	for _, r := range s.Records(t) {
		ok := true
		for k, v := range match {
			if r[k] != v {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// shellMesh writes a mesh file in a temporary directory and returns the
// runtime's configuration for fns (which run shell scripts) beside it.
func shellMesh(t *testing.T, fns ...scale.Workload) process.Config {
	t.Helper()
	file := filepath.Join(t.TempDir(), "mesh.yaml")
	if err := os.WriteFile(file, []byte("apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return process.Config{Functions: fns, MeshFile: file}
}

func shellFn(name, script string) scale.Workload {
	return scale.Workload{Function: name, Command: []string{"/bin/sh", "-c", script}}
}

func newProcRuntime(t *testing.T, cfg process.Config) (*process.Runtime, *logtest.Buffer) {
	t.Helper()
	logs := &logtest.Buffer{}
	rt, err := process.New(cfg, scale.WithLogger(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := rt.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return rt, logs
}

// with returns c changed by f.
func with(c process.Config, f func(*process.Config)) process.Config {
	f(&c)
	return c
}

func readFileEventually(t *testing.T, path string) string {
	t.Helper()
	var data []byte
	poll.Until(t, 10*time.Second, path, func() bool {
		b, err := os.ReadFile(path)
		if err != nil || !bytes.HasSuffix(b, []byte("\n")) {
			return false
		}
		data = b
		return true
	})
	return string(data)
}

func listIDs(t *testing.T, rt scale.Runtime, fn string) []string {
	t.Helper()
	reps, err := rt.List(context.Background(), fn)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range reps {
		ids = append(ids, r.ID+":"+r.State)
	}
	return ids
}

func TestProcessRuntimeEnvAndDir(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	script := `env > "$OUT/$FNMESH_REPLICA.env"; pwd > "$OUT/$FNMESH_REPLICA.pwd"; exec sleep 60`
	a := shellFn("alpha", script)
	a.Env = map[string]string{"OUT": work, "FOO": "from-function", "SHARED": "function-wins"}
	a.Dir = "sub"
	b := shellFn("beta", script)
	b.Env = map[string]string{"OUT": work, "OTEL_SERVICE_NAME": "custom"}
	m := shellMesh(t, a, b)
	if err := os.Mkdir(filepath.Join(filepath.Dir(m.MeshFile), "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	rt, _ := newProcRuntime(t, with(m, func(c *process.Config) {
		c.NATS.URL, c.Env = "nats://127.0.0.1:4999", []string{"SHARED=config", "FROM_CONFIG=1"}
	}))
	ctx := context.Background()
	for _, fn := range []string{"alpha", "beta"} {
		if err := rt.Scale(ctx, fn, 1); err != nil {
			t.Fatal(err)
		}
	}

	env := func(s string) map[string]string {
		out := map[string]string{}
		for line := range strings.Lines(s) {
			if k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "="); ok {
				out[k] = v
			}
		}
		return out
	}
	abs, _ := filepath.Abs(m.MeshFile)
	ea := env(readFileEventually(t, filepath.Join(work, "alpha-1.env")))
	for k, want := range map[string]string{
		"FNMESH_FUNCTION": "alpha", "FNMESH_FILE": abs, "NATS_URL": "nats://127.0.0.1:4999",
		"FNMESH_REPLICA": "alpha-1", "OTEL_SERVICE_NAME": "alpha", "FOO": "from-function",
		"SHARED": "function-wins", "FROM_CONFIG": "1", "PATH": os.Getenv("PATH"),
	} {
		if ea[k] != want {
			t.Errorf("alpha: %s=%q, want %q", k, ea[k], want)
		}
	}
	if got := strings.TrimSpace(readFileEventually(t, filepath.Join(work, "alpha-1.pwd"))); got != filepath.Join(filepath.Dir(abs), "sub") {
		t.Errorf("alpha: working directory %q, want run.dir under the mesh file's directory", got)
	}
	eb := env(readFileEventually(t, filepath.Join(work, "beta-1.env")))
	if eb["OTEL_SERVICE_NAME"] != "custom" {
		t.Errorf("beta: OTEL_SERVICE_NAME=%q, want the function's own value", eb["OTEL_SERVICE_NAME"])
	}
	if got := strings.TrimSpace(readFileEventually(t, filepath.Join(work, "beta-1.pwd"))); got != filepath.Dir(abs) {
		t.Errorf("beta: working directory %q, want the mesh file's directory", got)
	}
	if got := listIDs(t, rt, "alpha"); !slices.Equal(got, []string{"alpha-1:running"}) {
		t.Errorf("List(alpha) = %v", got)
	}
}

func TestProcessRuntimeScaleStopsNewestFirst(t *testing.T) {
	t.Parallel()
	m := shellMesh(t, shellFn("f", `trap 'exit 0' TERM; while :; do sleep 0.05; done`))
	rt, _ := newProcRuntime(t, m)
	ctx := context.Background()
	if err := rt.Scale(ctx, "f", 3); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, "3 running", func() bool {
		return slices.Equal(listIDs(t, rt, "f"), []string{"f-1:running", "f-2:running", "f-3:running"})
	})
	if err := rt.Scale(ctx, "f", 1); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, "only f-1 left", func() bool { return slices.Equal(listIDs(t, rt, "f"), []string{"f-1:running"}) })
	if err := rt.Scale(ctx, "f", 2); err != nil {
		t.Fatal(err)
	}
	if got := listIDs(t, rt, "f"); len(got) != 2 || got[1] != "f-4:starting" && got[1] != "f-4:running" {
		t.Fatalf("after scaling up again: %v, want f-1 and a new f-4", got)
	}
	if err := rt.Scale(ctx, "f", 0); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, "none left", func() bool { return len(listIDs(t, rt, "f")) == 0 })
}

func TestProcessRuntimeStopDrains(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	fn := shellFn("f", `trap 'echo drained > "$OUT/drained"; exit 0' TERM; echo > "$OUT/trapped"; while :; do sleep 0.05; done`)
	fn.Env = map[string]string{"OUT": work}
	m := shellMesh(t, fn)
	rt, logs := newProcRuntime(t, with(m, func(c *process.Config) { c.StopTimeout = time.Minute }))
	ctx := context.Background()
	if err := rt.Scale(ctx, "f", 1); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, "running", func() bool { return slices.Equal(listIDs(t, rt, "f"), []string{"f-1:running"}) })
	readFileEventually(t, filepath.Join(work, "trapped")) // the shell installed its trap
	if err := rt.Stop(ctx, "f", "f-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(work, "drained")); err != nil {
		t.Fatalf("the worker did not get SIGTERM: %v", err)
	}
	if has(t, logs, map[string]any{"msg": "worker did not exit in time, killing its process group"}) {
		t.Fatal("a worker that drained was killed")
	}
	if got := listIDs(t, rt, "f"); len(got) != 0 {
		t.Fatalf("after Stop: %v", got)
	}
	if err := rt.Stop(ctx, "f", "f-1"); !errors.Is(err, scale.ErrNoReplica) {
		t.Fatalf("Stop of a gone replica = %v, want ErrNoReplica", err)
	}
}

func TestProcessRuntimeKillsGroupAfterStopTimeout(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	// The worker ignores SIGTERM and leaves a grandchild behind.
	fn := shellFn("f", `trap '' TERM; sleep 300 & echo $! > "$OUT/child"; echo $$ > "$OUT/pid"; while :; do sleep 0.05; done`)
	fn.Env = map[string]string{"OUT": work}
	m := shellMesh(t, fn)
	rt, logs := newProcRuntime(t, with(m, func(c *process.Config) { c.StopTimeout = 300 * time.Millisecond }))
	ctx := context.Background()
	if err := rt.Scale(ctx, "f", 1); err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, name := range []string{"pid", "child"} {
		pid, err := strconv.Atoi(strings.TrimSpace(readFileEventually(t, filepath.Join(work, name))))
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	start := time.Now()
	if err := rt.Stop(ctx, "f", "f-1"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("stopped after %s, before the stop timeout: SIGTERM was not ignored?", d)
	}
	for _, pid := range pids {
		poll.Until(t, 5*time.Second, "process "+strconv.Itoa(pid)+" gone", func() bool {
			return syscall.Kill(pid, 0) != nil
		})
	}
	if !has(t, logs, map[string]any{"msg": "worker did not exit in time, killing its process group", "function": "f", "replica": "f-1"}) {
		t.Fatal("no log record of the kill")
	}
}

func TestProcessRuntimeRestartsCrashedWorkers(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	fn := shellFn("f", `echo x >> "$OUT/starts"; exit 3`)
	fn.Env = map[string]string{"OUT": work}
	m := shellMesh(t, fn)
	rt, logs := newProcRuntime(t, with(m, func(c *process.Config) { c.RestartMin, c.RestartMax = 20*time.Millisecond, 80*time.Millisecond }))
	if err := rt.Scale(context.Background(), "f", 1); err != nil {
		t.Fatal(err)
	}
	sawBackoff := false
	poll.Until(t, 10*time.Second, "4 starts", func() bool {
		if slices.Contains(listIDs(t, rt, "f"), "f-1:backoff") {
			sawBackoff = true
		}
		b, _ := os.ReadFile(filepath.Join(work, "starts"))
		return bytes.Count(b, []byte("\n")) >= 4
	})
	if !sawBackoff {
		t.Error("List never showed the replica in backoff")
	}
	if got := listIDs(t, rt, "f"); len(got) != 1 || !strings.HasPrefix(got[0], "f-1:") {
		t.Errorf("a restart must keep the replica: %v", got)
	}
	var delays []float64
	for _, r := range logs.Records(t) {
		if r["msg"] == "worker restarts after backoff" {
			ns, _ := r["delay"].(float64) // slog's JSON handler writes nanoseconds
			delays = append(delays, time.Duration(ns).Seconds())
		}
	}
	if len(delays) < 3 || delays[0] != 0.02 || delays[1] != 0.04 || delays[2] != 0.08 || slices.Max(delays) != 0.08 {
		t.Errorf("restart delays %v s, want 0.02, 0.04, 0.08 then capped at 0.08", delays)
	}
	if !has(t, logs, map[string]any{"msg": "worker exited unexpectedly", "exit": "exit status 3"}) {
		t.Error("no log record of the crash with its exit status")
	}
}

func TestProcessRuntimeLogsWorkerOutput(t *testing.T) {
	t.Parallel()
	fn := shellFn("f", `echo plain line; echo '{"level":"WARN","msg":"from slog","k":1}' >&2; printf 'no newline'; exec sleep 60`)
	m := shellMesh(t, fn)
	rt, logs := newProcRuntime(t, with(m, func(c *process.Config) { c.StopTimeout = 5 * time.Second }))
	if err := rt.Scale(context.Background(), "f", 1); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, "worker output", func() bool {
		return has(t, logs, map[string]any{"msg": "plain line", "level": "INFO", "function": "f", "replica": "f-1", "output": "stdout"}) &&
			has(t, logs, map[string]any{"msg": "from slog", "level": "WARN", "k": 1.0, "function": "f", "replica": "f-1", "output": "stderr"})
	})
	if err := rt.Stop(context.Background(), "f", "f-1"); err != nil {
		t.Fatal(err)
	}
	if !has(t, logs, map[string]any{"msg": "no newline", "replica": "f-1"}) {
		t.Error("an unterminated last line was lost")
	}
}

func TestProcessRuntimeErrors(t *testing.T) {
	t.Parallel()
	img := scale.Workload{Function: "img", Image: "example/worker:1"}
	missing := scale.Workload{Function: "missing", Command: []string{"./bin/not-there"}}
	nameless := scale.Workload{Function: "nameless", Command: []string{"fnmesh-no-such-program"}}
	httpFn := scale.Workload{Function: "web", Generic: true}
	m := shellMesh(t, img, missing, nameless, httpFn, shellFn("ok", "exec sleep 60"))
	rt, _ := newProcRuntime(t, m)
	ctx := context.Background()
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"unknown function", rt.Scale(ctx, "nope", 1), scale.ErrUnknownFunction},
		{"image", rt.Scale(ctx, "img", 1), scale.ErrNotRunnable},
		{"missing program", rt.Scale(ctx, "missing", 1), scale.ErrNotRunnable},
		{"program not in PATH", rt.Scale(ctx, "nameless", 1), scale.ErrNotRunnable},
		{"run.http without Self", rt.Scale(ctx, "web", 1), scale.ErrNotRunnable},
		{"stop of an unknown replica", rt.Stop(ctx, "ok", "ok-9"), scale.ErrNoReplica},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	if err := rt.Scale(ctx, "img", 0); err != nil {
		t.Errorf("scaling a function the runtime cannot run to 0 = %v, want nil", err)
	}
	if err := rt.Scale(ctx, "ok", -1); err == nil || !strings.Contains(err.Error(), "must not be negative") {
		t.Errorf("negative count: %v", err)
	}
	if _, err := rt.List(ctx, "nope"); !errors.Is(err, scale.ErrUnknownFunction) {
		t.Errorf("List of an unknown function = %v", err)
	}
	if err := rt.Scale(ctx, "ok", 2); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := rt.Close(cctx); err != nil {
		t.Fatal(err)
	}
	if got := listIDs(t, rt, "ok"); len(got) != 0 {
		t.Errorf("after Close: %v", got)
	}
	if err := rt.Scale(ctx, "ok", 1); !errors.Is(err, scale.ErrRuntimeClosed) {
		t.Errorf("Scale after Close = %v, want ErrRuntimeClosed", err)
	}
	if _, err := process.New(process.Config{}); err == nil || !strings.Contains(err.Error(), "MeshFile") {
		t.Errorf("New without a mesh file = %v", err)
	}
}

func TestProcessRuntimeHTTPFunctionRunsSelf(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	self := filepath.Join(work, "fnmesh")
	script := "#!/bin/sh\necho \"$@\" > \"" + filepath.Join(work, "args") + "\"\nexec sleep 60\n"
	if err := os.WriteFile(self, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	m := shellMesh(t, scale.Workload{Function: "web", Generic: true})
	rt, _ := newProcRuntime(t, with(m, func(c *process.Config) { c.Self = self }))
	if err := rt.Scale(context.Background(), "web", 1); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(m.MeshFile)
	if got, want := strings.TrimSpace(readFileEventually(t, filepath.Join(work, "args"))), "worker --function web -f "+abs; got != want {
		t.Fatalf("args %q, want %q", got, want)
	}
}
