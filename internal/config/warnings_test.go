package config

import (
	"strings"
	"testing"
)

// A function on a stream outside the subject prefix is reported: its
// events are not where fnmesh stores them.
func TestWarningsStreamOutsidePrefix(t *testing.T) {
	m, err := Parse("mesh.yaml", []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
streams:
  - { name: EVENTS, subjects: ["events.a.>"] }
  - { name: AUDIT, subjects: ["audit.>"] }
  - { name: MIXED, subjects: ["events.x.>", "legacy.>"] }
functions:
  - { name: main, run: { image: "a:1" } }
  - { name: audit, stream: AUDIT, run: { image: "a:1" } }
  - { name: mixed, stream: MIXED, run: { image: "a:1" } }
`))
	if err != nil {
		t.Fatal(err)
	}
	w := m.Warnings()
	if len(w) != 2 {
		t.Fatalf("warnings %q, want two", w)
	}
	for i, want := range []string{
		`functions[1] (audit): stream AUDIT captures audit.>, outside subjectPrefix "events" (events are stored on events.<type>): no event fnmesh ingests is stored there`,
		`functions[2] (mixed): stream MIXED captures legacy.>, outside subjectPrefix "events"`,
	} {
		if !strings.HasPrefix(w[i], want) {
			t.Errorf("warning %d = %q, want it to start with %q", i, w[i], want)
		}
	}
}
