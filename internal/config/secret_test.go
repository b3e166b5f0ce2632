package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretRefResolve(t *testing.T) {
	dir := t.TempDir()
	withNewline := filepath.Join(dir, "with-newline")
	if err := os.WriteFile(withNewline, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FNMESH_TEST_SECRET", "from-env")
	t.Setenv("FNMESH_TEST_EMPTY", "")

	tests := []struct {
		name     string
		ref      SecretRef
		want     string
		sentinel error
		mention  string
	}{
		{name: "env", ref: SecretRef{Env: "FNMESH_TEST_SECRET"}, want: "from-env"},
		{name: "file trims newline", ref: SecretRef{File: withNewline}, want: "s3cret"},
		{name: "value", ref: SecretRef{Value: "inline"}, want: "inline"},
		{name: "missing env", ref: SecretRef{Env: "FNMESH_TEST_UNSET"}, sentinel: ErrSecretNotFound, mention: "FNMESH_TEST_UNSET"},
		{name: "missing file", ref: SecretRef{File: filepath.Join(dir, "nope")}, sentinel: ErrSecretNotFound, mention: "nope"},
		{name: "empty env", ref: SecretRef{Env: "FNMESH_TEST_EMPTY"}, mention: "FNMESH_TEST_EMPTY"},
		{name: "empty file", ref: SecretRef{File: empty}, mention: "empty"},
		{name: "two sources", ref: SecretRef{Env: "A", Value: "b"}, sentinel: ErrInvalid},
		{name: "no source", ref: SecretRef{}, sentinel: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.ref.Resolve()
			if tt.want != "" {
				if err != nil || string(got) != tt.want {
					t.Fatalf("Resolve() = %q, %v, want %q", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Resolve() = %q, want an error", got)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.sentinel)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("err = %v, want it to name %q", err, tt.mention)
			}
		})
	}
}

func TestSecretFileRelativeToMesh(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("t0ken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	meshFile := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(meshFile, []byte(minimal+"ingest: { tokenRef: { file: token } }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := Load(meshFile)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Ingest.TokenRef.Resolve()
	if err != nil || string(got) != "t0ken" {
		t.Errorf("Resolve() = %q, %v", got, err)
	}
}
