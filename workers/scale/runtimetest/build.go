package runtimetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// BuildDrainer compiles the suite's worker (testdata/drainer) into a
// temporary directory and returns its path. env is added to the build's
// environment (CGO_ENABLED=0 GOOS=linux for a FROM scratch image).
func BuildDrainer(t testing.TB, env ...string) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("runtimetest: cannot locate the drainer's source")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(t.TempDir(), "drainer")
	cmd := exec.Command(goBin, "build", "-o", out, ".")
	cmd.Dir = filepath.Join(filepath.Dir(file), "testdata", "drainer")
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("runtimetest: go build drainer: %v\n%s", err, b)
	}
	return out
}

// Marked reports whether the drainer of replica id wrote its "<what>"
// file ("ready" or "drained") into dir.
func Marked(dir, id, what string) bool {
	_, err := os.Stat(filepath.Join(dir, id+"."+what))
	return err == nil
}
