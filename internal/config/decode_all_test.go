package config

import (
	"errors"
	"strings"
	"testing"
)

// Every decoding problem of a file is reported in one run, in file order.
func TestParseReportsEveryDecodeProblem(t *testing.T) {
	_, err := Parse("mesh.yaml", []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
functions:
  - name: b
    run: { image: "b:1" }
    timeout: [1]
streams:
  - name: EVENTS
    subjects: ["events.>", {a: b}]
    maxAge: banana
    replicaz: 3
  - name: X
    subjects: ["x.>"]
    typo: 1
`))
	want := []string{
		"mesh.yaml:6:14: functions[0].timeout: must be a Go duration",
		"mesh.yaml:9:28: streams[0].subjects[1]: must be a string",
		"mesh.yaml:10:13: streams[0].maxAge: must be a Go duration",
		"mesh.yaml:11:5: streams[0].replicaz: unknown field",
		"mesh.yaml:14:5: streams[1].typo: unknown field",
	}
	fes := FieldErrors(err)
	if len(fes) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(fes), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(fes[i].Error(), w) {
			t.Errorf("problem %d = %q, want %q...", i, fes[i], w)
		}
	}
	if !errors.Is(err, ErrInvalid) || !errors.Is(err, ErrUnknownField) {
		t.Errorf("err does not wrap ErrInvalid and ErrUnknownField: %v", err)
	}
}
