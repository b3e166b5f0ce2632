package config

import (
	"path/filepath"
	"testing"
)

func TestStreamFor(t *testing.T) {
	m := &Mesh{
		SubjectPrefix: "ev",
		Streams: []Stream{
			{Name: "AUDIT", Subjects: []string{"audit.>"}},
			{Name: "ORDERS", Subjects: []string{"ev.orders.>"}},
			{Name: "ALL", Subjects: []string{"ev.>"}},
		},
		Functions: []Function{{Name: "a"}, {Name: "b", Stream: "AUDIT"}, {Name: "c", Stream: "GONE"}},
	}
	tests := []struct {
		fn   string
		want string
	}{
		{fn: "a", want: "ALL"},
		{fn: "b", want: "AUDIT"},
		{fn: "c", want: ""},
	}
	for _, tt := range tests {
		fn, ok := m.Function(tt.fn)
		if !ok {
			t.Fatalf("Function(%q) not found", tt.fn)
		}
		got := ""
		if s := m.StreamFor(fn); s != nil {
			got = s.Name
		}
		if got != tt.want {
			t.Errorf("StreamFor(%s) = %q, want %q", tt.fn, got, tt.want)
		}
	}
	if _, ok := m.Function("zzz"); ok {
		t.Error("Function(zzz) found")
	}

	// Without a stream capturing "ev.>", the first stream is the default;
	// SetDefaults writes it into the function.
	m.Streams = m.Streams[:2]
	m.SetDefaults()
	if m.Functions[0].Stream != "AUDIT" {
		t.Errorf("default stream = %q, want the first stream AUDIT", m.Functions[0].Stream)
	}
}

func TestResolve(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "x")
	tests := []struct {
		file, path, want string
	}{
		{file: filepath.Join("deploy", "mesh.yaml"), path: "schemas/a.json", want: filepath.Join("deploy", "schemas", "a.json")},
		{file: filepath.Join("deploy", "mesh.yaml"), path: "", want: "deploy"},
		{file: "mesh.yaml", path: "bin", want: "bin"},
		{file: "", path: "bin", want: "bin"},
		{file: filepath.Join("deploy", "mesh.yaml"), path: abs, want: abs},
	}
	for _, tt := range tests {
		m := &Mesh{File: tt.file}
		if got := m.Resolve(tt.path); got != tt.want {
			t.Errorf("Mesh{File: %q}.Resolve(%q) = %q, want %q", tt.file, tt.path, got, tt.want)
		}
	}
}
