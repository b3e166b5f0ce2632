package config_test

import (
	"testing"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers"
)

const minimal = "apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\n"

func TestDefaultsKeepExplicitValues(t *testing.T) {
	m, err := meshmap.Parse("m.yaml", []byte(minimal+`
streams:
  - { name: S, subjects: ["events.>"], maxAge: 30s, replicas: 3, storage: memory, sync: always }
functions:
  - name: f
    run: { exec: [cat] }
    delivery: { retry: 0, deadLetter: false, backoffDelay: 5m }
    scaling: { minReplicaCount: 0, maxReplicaCount: 1 }
  - name: g
    run: { image: "g:1" }
    scaling: { minReplicaCount: 15 }
`))
	if err != nil {
		t.Fatal(err)
	}
	s := m.Streams[0]
	if s.Replicas != 3 || s.Storage != "memory" || s.Sync != "always" || s.DuplicateWindow != config.Duration(30e9) {
		t.Errorf("stream = %+v, want explicit values and duplicateWindow capped at maxAge", s)
	}
	f, _ := m.Function("f")
	if *f.Delivery.Retry != 0 || *f.Delivery.DeadLetter || *f.Scaling.MinReplicaCount != 0 || f.Scaling.MaxReplicaCount != 1 {
		t.Errorf("explicit zero values were replaced: %+v %+v", f.Delivery, f.Scaling)
	}
	if f.Delivery.BackoffMax != f.Delivery.BackoffDelay {
		t.Errorf("backoffMax = %s, want it raised to backoffDelay %s", f.Delivery.BackoffMax, f.Delivery.BackoffDelay)
	}
	g, _ := m.Function("g")
	if g.Run.Runtime != "docker" || g.Scaling.MaxReplicaCount != 15 || *g.Delivery.Retry != workers.DefaultRetry || !*g.Delivery.DeadLetter {
		t.Errorf("g defaults = runtime %q max %d retry %d deadLetter %v", g.Run.Runtime, g.Scaling.MaxReplicaCount, *g.Delivery.Retry, *g.Delivery.DeadLetter)
	}
	if g.Stream != "S" {
		t.Errorf("stream = %q, want the declared stream S", g.Stream)
	}
	before := *m
	m.SetDefaults()
	meshmap.Components().SetDefaults(m)
	if m.Functions[0].Concurrency != before.Functions[0].Concurrency || len(m.Streams) != 1 {
		t.Error("SetDefaults is not idempotent")
	}
}
