package app

import (
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
)

// A changed startFrom of a function whose consumer exists is reported, and
// the consumer keeps its position.
func TestApplyStartFromChanged(t *testing.T) {
	s := monitoredServer(t)
	mesh := func(startFrom string) string {
		return "apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\nfunctions:\n  - name: mailer\n    startFrom: " + startFrom +
			"\n    run: { image: mailer:1 }\n  - name: other\n    run: { image: other:1 }\n"
	}
	m, err := meshmap.Parse("mesh.yaml", []byte(mesh("all")))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := connect(t, s, m.SubjectPrefix)
	got, err := Apply(t.Context(), c, m)
	if err != nil || len(got.Warnings) != 0 {
		t.Fatalf("first Apply: warnings %q, %v", got.Warnings, err)
	}
	for _, again := range []string{"all", `"2026-01-02T15:04:05Z"`, "new"} {
		m, err := meshmap.Parse("mesh.yaml", []byte(mesh(again)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Apply(t.Context(), c, m)
		if err != nil {
			t.Fatalf("Apply with startFrom %s: %v", again, err)
		}
		switch {
		case again == "all" && len(got.Warnings) != 0:
			t.Errorf("unchanged startFrom: warnings %q", got.Warnings)
		case again != "all" && (len(got.Warnings) != 1 ||
			!strings.Contains(got.Warnings[0], "startFrom changed on existing function mailer: no effect without a replay")):
			t.Errorf("startFrom %s: warnings %q, want one naming mailer", again, got.Warnings)
		}
		info, err := c.ConsumerInfo(t.Context(), "EVENTS", "mailer")
		if err != nil {
			t.Fatal(err)
		}
		if info.Config.DeliverPolicy != jetstream.DeliverAllPolicy {
			t.Errorf("startFrom %s: deliver policy %v, want all (kept)", again, info.Config.DeliverPolicy)
		}
	}
}
