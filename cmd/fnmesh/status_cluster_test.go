package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/app/nodes"
)

func TestPrintCluster(t *testing.T) {
	var b bytes.Buffer
	if err := printCluster(&b, nil); err != nil || b.Len() != 0 {
		t.Fatalf("single server: %q, %v; want nothing", b.String(), err)
	}
	st := &app.ClusterStatus{
		Name: "shop", Server: "n1", MetaLeader: "n2",
		Peers: []embedded.Peer{{Name: "n1", Current: true}, {Name: "n2", Current: true}, {Name: "n3", Offline: true}},
		Nodes: []nodes.Record{{Node: "n1", HTTP: "10.0.0.1:8080", Replicas: map[string]int{"b": 1, "a": 2}}, {Node: "n2", Replicas: map[string]int{}}},
		Streams: []broker.StreamPlacement{{Stream: "EVENTS", Leader: "n2", Messages: 7,
			Replicas: []broker.StreamReplica{{Server: "n1", Current: true}, {Server: "n3", Offline: true}}}},
		Errors: []string{"stream DEADLETTER: no leader"},
	}
	if err := printCluster(&b, st); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"CLUSTER shop (this node n1, meta leader n2)",
		"n1    10.0.0.1:8080  current      a=2 b=1",
		"n2    -              meta leader  -",
		"n3    -              offline      (no fnmesh node)",
		"EVENTS  n2      n1 (current), n3 (offline)  7",
		"warning: stream DEADLETTER: no leader",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestPrintNodesOnExternalServer(t *testing.T) {
	var b bytes.Buffer
	st := &app.ClusterStatus{Server: "a-1", Nodes: []nodes.Record{{Node: "a-1", Replicas: map[string]int{"work": 2}}, {Node: "b-2", Replicas: map[string]int{"work": 1}}},
		Streams: []broker.StreamPlacement{{Stream: "EVENTS", Leader: "nats-1", Messages: 3}}}
	if err := printCluster(&b, st); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"NODES sharing the external server (this node a-1)", "a-1   -     external   work=2", "b-2   -     external   work=1", "EVENTS  nats-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
