package bench

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeWorkerEnvironment(t *testing.T) {
	mesh := filepath.Join(t.TempDir(), "mesh.yaml")
	if err := os.WriteFile(mesh, []byte("apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\nfunctions:\n  - name: f\n    run: { command: [x] }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		mention string
	}{
		{name: "no function", env: map[string]string{"FNMESH_FILE": mesh}, mention: "FNMESH_FUNCTION"},
		{name: "no file", env: map[string]string{"FNMESH_FUNCTION": "f"}, mention: "FNMESH_FILE"},
		{name: "bad work", env: map[string]string{"FNMESH_FUNCTION": "f", "FNMESH_FILE": mesh, EnvWork: "soon"}, mention: EnvWork},
		{name: "negative work", env: map[string]string{"FNMESH_FUNCTION": "f", "FNMESH_FILE": mesh, EnvWork: "-1s"}, mention: EnvWork},
		{name: "unknown function", env: map[string]string{"FNMESH_FUNCTION": "g", "FNMESH_FILE": mesh}, mention: `"g"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ServeWorker(t.Context(), func(k string) string { return tt.env[k] }, nil)
			if !errors.Is(err, ErrWorkerEnv) {
				t.Fatalf("ServeWorker = %v, want ErrWorkerEnv", err)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %s", err, tt.mention)
			}
		})
	}
}

func FuzzParseWork(f *testing.F) {
	for _, s := range []string{"", "5ms", "0", "-1s", "1m", "1m1ns", "soon", "9999999999h", "1.5µs", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseWork(s)
		if err != nil {
			if !errors.Is(err, ErrWorkerEnv) || !strings.Contains(err.Error(), EnvWork) {
				t.Fatalf("parseWork(%q) = %v: want ErrWorkerEnv naming %s", s, err, EnvWork)
			}
			return
		}
		if d < 0 || d > maxWork {
			t.Fatalf("parseWork(%q) = %s: out of [0, %s]", s, d, maxWork)
		}
	})
}
