package config

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

const minimal = "apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\n"

func TestParseErrorKinds(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		sentinel error
		line     int
		column   int
		path     string
	}{
		{
			name:     "syntax",
			yaml:     minimal + "functions: [\n",
			sentinel: ErrSyntax,
			line:     3, column: 12,
		},
		{
			name:     "unknown nested field",
			yaml:     minimal + "ingest:\n  paht: /x\n",
			sentinel: ErrUnknownField,
			line:     4, column: 3, path: "ingest.paht",
		},
		{
			name:     "wrong type",
			yaml:     minimal + "ingest:\n  maxInFlight: lots\n",
			sentinel: ErrInvalid,
			line:     4, column: 16, path: "ingest.maxInFlight",
		},
		{
			name:     "rule",
			yaml:     minimal + "ingest:\n  maxInFlight: -1\n",
			sentinel: ErrInvalid,
			line:     4, column: 16, path: "ingest.maxInFlight",
		},
		{
			name:     "bad duration",
			yaml:     minimal + "deadLetter: { maxAge: forever }\n",
			sentinel: ErrInvalid,
			line:     3, column: 23, path: "deadLetter.maxAge",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tt.yaml))
			if !errors.Is(err, tt.sentinel) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want it to wrap %v and ErrInvalid", err, tt.sentinel)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %T, want a *FieldError", err)
			}
			if fe.File != "m.yaml" || fe.Line != tt.line || fe.Column != tt.column || fe.Path != tt.path {
				t.Errorf("at %s:%d:%d %q, want m.yaml:%d:%d %q (%v)", fe.File, fe.Line, fe.Column, fe.Path, tt.line, tt.column, tt.path, err)
			}
		})
	}
}

func TestParseJoinsAllRuleErrors(t *testing.T) {
	_, err := Parse("m.yaml", []byte(minimal+"ingest: { maxInFlight: -1, maxBodyBytes: 10 }\nsubjectPrefix: a..b\n"))
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("err = %v, want joined errors", err)
	}
	var paths []string
	for _, e := range joined.Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("%v is not a *FieldError", e)
		}
		paths = append(paths, fe.Path)
	}
	want := "ingest.maxInFlight ingest.maxBodyBytes subjectPrefix"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("paths = %q, want %q (file order)", got, want)
	}
}

func TestValidateWithoutFile(t *testing.T) {
	m := &Mesh{APIVersion: APIVersion, Kind: Kind, Functions: []Function{{Name: "f"}}}
	m.SetDefaults()
	err := m.Validate()
	want := "functions[0].run: exactly one of command, image, http or exec must be set (found none)"
	if err == nil || err.Error() != want {
		t.Fatalf("Validate() = %v, want %q", err, want)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Error("error does not wrap ErrInvalid")
	}
	m.Functions[0].Run.Exec = []string{"cat"}
	if err := m.Validate(); err != nil {
		t.Errorf("Validate() = %v after fixing", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	if errors.Is(err, ErrInvalid) {
		t.Error("a missing file is not an invalid mesh")
	}
}

func TestLoadExampleMesh(t *testing.T) {
	path := filepath.Join("..", "..", "functions", "examples", "mesh.yaml")
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	fn, ok := m.Function("fulfil-order")
	if !ok || len(fn.Run.Command) == 0 {
		t.Fatalf("fulfil-order missing or without a command: %+v", fn)
	}
	if got, want := m.Resolve(fn.Run.Dir), filepath.Dir(path); got != want {
		t.Errorf("fulfil-order runs in %q, want the mesh file's directory %q", got, want)
	}
	if _, ok := m.Function("notify"); !ok {
		t.Error("notify missing")
	}
	if s := m.StreamFor(fn); s == nil || s.Name != "EVENTS" {
		t.Errorf("StreamFor = %+v, want EVENTS", s)
	}
}

func TestParseRejectsDeepNesting(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		rule string
	}{
		{name: "flow", yaml: minimal + "data: " + strings.Repeat("[", 300) + strings.Repeat("]", 300), rule: "nested '[' or '{'"},
		{name: "sequence entries", yaml: strings.Repeat("- ", 300) + "x", rule: "sequence entries"},
		{name: "indent", yaml: "a:\n" + strings.Repeat(" ", 2000) + "b: c\n", rule: "indented more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tt.yaml))
			if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tt.rule) {
				t.Fatalf("err = %v, want a syntax error about %q", err, tt.rule)
			}
		})
	}
	// Brackets in quoted strings and comments do not count.
	quoted := minimal + "metadata: { name: \"" + strings.Repeat("[", 300) + "\" } # " + strings.Repeat("{", 300) + "\n"
	if _, err := Parse("m.yaml", []byte(quoted)); err != nil {
		t.Errorf("quoted brackets rejected: %v", err)
	}
}

func TestParseCapsReportedProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString(minimal + "functions:\n")
	for range maxReported + 10 {
		b.WriteString("  - { name: f, run: { exec: [cat] } }\n")
	}
	_, err := Parse("m.yaml", []byte(b.String()))
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxReported+1 || lines[maxReported] != "m.yaml: 9 more problems not shown" {
		t.Errorf("got %d lines ending %q", len(lines), lines[len(lines)-1])
	}
}
