package config_test

import (
	"testing"

	"github.com/fnmesh/fnmesh/internal/config"
)

func TestWithClusterReplicas(t *testing.T) {
	const file = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: c }
streams:
  - { name: DEFAULTED, subjects: ["events.a.>"] }
  - { name: ONE, subjects: ["events.b.>"], replicas: 1 }
  - { name: FIVE, subjects: ["events.c.>"], replicas: 5 }
`
	tests := []struct {
		name     string
		file     string
		nodes    int
		streams  []int
		deadLast int
	}{
		{name: "single node", file: file, nodes: 1, streams: []int{1, 1, 5}, deadLast: 5},
		{name: "two nodes", file: file, nodes: 2, streams: []int{1, 1, 5}, deadLast: 5},
		{name: "three nodes", file: file, nodes: 3, streams: []int{3, 1, 5}, deadLast: 5},
		{name: "default stream on five nodes", file: "apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\nmetadata: { name: d }\n", nodes: 5, streams: []int{3}, deadLast: 3},
		{name: "dead letter set", file: "apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\nmetadata: { name: d }\ndeadLetter: { replicas: 1 }\n", nodes: 3, streams: []int{3}, deadLast: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := config.Parse("mesh.yaml", []byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			before := m.Streams[0].Replicas
			got := m.WithClusterReplicas(tt.nodes)
			for i, want := range tt.streams {
				if got.Streams[i].Replicas != want {
					t.Errorf("stream %s: replicas %d, want %d", got.Streams[i].Name, got.Streams[i].Replicas, want)
				}
			}
			if got.DeadLetter.Replicas != tt.deadLast {
				t.Errorf("dead letter replicas %d, want %d", got.DeadLetter.Replicas, tt.deadLast)
			}
			if got.StreamReplicas() != max(tt.streams[0], tt.streams[len(tt.streams)-1]) {
				t.Errorf("StreamReplicas() = %d", got.StreamReplicas())
			}
			if m.Streams[0].Replicas != before {
				t.Errorf("the mesh itself was modified: replicas %d, was %d", m.Streams[0].Replicas, before)
			}
		})
	}
}
