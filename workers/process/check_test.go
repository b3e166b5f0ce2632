package process_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnmesh/fnmesh/workers/process"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// TestProcessRuntimeCheck: a command or an exec interpreter that cannot
// be found is reported without starting anything, naming the field; Scale
// refuses it the same way, so no worker fails events it cannot run.
func TestProcessRuntimeCheck(t *testing.T) {
	t.Parallel()
	fns := []scale.Workload{
		{Function: "ok", Command: []string{"sh", "-c", "true"}},
		{Function: "nocmd", Command: []string{"fnmesh-no-such-program"}},
		{Function: "nofile", Command: []string{"./missing-binary"}},
		{Function: "noexec", Generic: true, Exec: []string{"fnmesh-no-such-interpreter", "x.sh"}},
		{Function: "exec", Generic: true, Exec: []string{"sh", "x.sh"}},
	}
	rt, err := process.New(process.Config{MeshFile: filepath.Join(t.TempDir(), "mesh.yaml"), Self: "/bin/true", Functions: fns})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ fn, wantField, wantReason string }{
		{fn: "ok"},
		{fn: "exec"},
		{fn: "nocmd", wantField: "run.command[0]", wantReason: "not found in PATH"},
		{fn: "nofile", wantField: "run.command[0]", wantReason: "no such file"},
		{fn: "noexec", wantField: "run.exec[0]", wantReason: "not found in PATH"},
	} {
		err := rt.Check(context.Background(), tt.fn)
		if tt.wantField == "" {
			if err != nil {
				t.Errorf("Check(%s) = %v, want nil", tt.fn, err)
			}
			continue
		}
		if !errors.Is(err, scale.ErrNotRunnable) || !strings.Contains(err.Error(), "function "+tt.fn) ||
			!strings.Contains(err.Error(), tt.wantField) || !strings.Contains(err.Error(), tt.wantReason) {
			t.Errorf("Check(%s) = %v, want ErrNotRunnable naming the function, %s and %q", tt.fn, err, tt.wantField, tt.wantReason)
		}
		if err := rt.Scale(context.Background(), tt.fn, 1); !errors.Is(err, scale.ErrNotRunnable) {
			t.Errorf("Scale(%s, 1) = %v, want ErrNotRunnable", tt.fn, err)
		}
	}
}
