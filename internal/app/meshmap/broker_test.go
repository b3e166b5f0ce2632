package meshmap_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
)

const meshFile = `
apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
subjectPrefix: shop
streams:
  - name: ORDERS
    subjects: ["shop.orders.>"]
    maxAge: 168h
    maxBytes: 1048576
    replicas: 1
    storage: memory
    sync: always
  - name: OTHER
    subjects: ["shop.other.>"]
    maxAge: 30s
    maxMsgs: 100
deadLetter:
  stream: DLQ
  subjectPrefix: dlq
  maxAge: 24h
`

func TestBrokerMapping(t *testing.T) {
	m, err := config.Parse("mesh.yaml", []byte(meshFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := meshmap.Broker(m); got != (broker.Config{SubjectPrefix: "shop"}) {
		t.Errorf("Broker = %+v", got)
	}
	wantDL := broker.DeadLetterConfig{Stream: "DLQ", SubjectPrefix: "dlq", MaxAge: 24 * time.Hour, Replicas: 1}
	if got := meshmap.DeadLetter(m); got != wantDL {
		t.Errorf("DeadLetter = %+v, want %+v", got, wantDL)
	}
	// The defaults come from the mesh file (config's SetDefaults); the
	// mapping adds none.
	want := []broker.StreamSpec{
		{Name: "ORDERS", Subjects: []string{"shop.orders.>"}, MaxAge: 168 * time.Hour, MaxBytes: 1 << 20, Replicas: 1, Storage: broker.StorageMemory, DuplicateWindow: 2 * time.Minute},
		{Name: "OTHER", Subjects: []string{"shop.other.>"}, MaxAge: 30 * time.Second, MaxMsgs: 100, Replicas: 1, Storage: broker.StorageFile, DuplicateWindow: 30 * time.Second},
		{Name: "DLQ", Subjects: []string{"dlq.>"}, MaxAge: 24 * time.Hour, Replicas: 1},
		{Name: "FNMESH_RUNS", Subjects: []string{"fnmesh.runs.>"}, MaxAge: 24 * time.Hour, MaxBytes: 256 << 20, Discard: broker.DiscardOld, Replicas: 1},
	}
	if got := meshmap.Streams(m); !reflect.DeepEqual(got, want) {
		t.Errorf("Streams =\n%+v\nwant\n%+v", got, want)
	}
	if !meshmap.SyncAlways(m) {
		t.Error("SyncAlways = false with a stream on sync: always")
	}
	m.Streams[0].Sync = "default"
	if meshmap.SyncAlways(m) {
		t.Error("SyncAlways = true without a stream on sync: always")
	}
}

// A mesh that config accepts is one the broker accepts: its streams are
// created, and its dead-letter queue built.
func TestValidMeshIsAValidBrokerSetup(t *testing.T) {
	m, err := config.Parse("mesh.yaml", []byte(meshFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := broker.New(brokertest.Conn(t, brokertest.Server(t, "")), meshmap.Broker(m))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureStreams(context.Background(), meshmap.Streams(m)...); err != nil {
		t.Fatalf("EnsureStreams: %v", err)
	}
	q, err := broker.NewDeadLetterQueue(c, meshmap.DeadLetter(m))
	if err != nil {
		t.Fatal(err)
	}
	if q.Stream() != "DLQ" || q.Subject("f") != "dlq.f" {
		t.Errorf("dead letters on %s, %s", q.Stream(), q.Subject("f"))
	}
}

// fnmesh's own state (dead letters, key-value buckets) keeps as many copies
// as the most replicated stream, unless the mesh or the caller says
// otherwise.
func TestOwnStateFollowsTheStreamReplicas(t *testing.T) {
	parse := func(deadLetter string) *config.Mesh {
		t.Helper()
		m, err := config.Parse("mesh.yaml", []byte(`
apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
streams:
  - { name: A, subjects: ["events.a.>"], replicas: 1 }
  - { name: B, subjects: ["events.b.>"], replicas: 3 }
`+deadLetter))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name       string
		deadLetter string
		kv         broker.KVConfig
		wantDL     int
		wantKV     int
	}{
		{name: "defaults", wantDL: 3, wantKV: 3},
		{name: "explicit", deadLetter: "deadLetter: { replicas: 2 }", kv: broker.KVConfig{Replicas: 1}, wantDL: 2, wantKV: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(tt.deadLetter)
			specs := meshmap.Streams(m)
			if got := meshmap.DeadLetter(m).Replicas; got != tt.wantDL || specs[len(specs)-2].Replicas != tt.wantDL {
				t.Errorf("dead letters: %d replicas (stream spec %d), want %d", got, specs[len(specs)-2].Replicas, tt.wantDL)
			}
			// The run history follows the streams like the dead letters do.
			if got := specs[len(specs)-1]; got.Name != "FNMESH_RUNS" || got.Replicas != 3 {
				t.Errorf("history stream spec = %+v, want FNMESH_RUNS with 3 replicas", got)
			}
			tt.kv.Bucket = "b"
			if got := meshmap.KV(m, tt.kv).Replicas; got != tt.wantKV {
				t.Errorf("key-value: %d replicas, want %d", got, tt.wantKV)
			}
		})
	}
}
