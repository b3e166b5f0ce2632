package functions

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
)

// testMesh is meshYAML written to a file of the test and loaded (defaults
// applied, validated); m.File names the file.
func testMesh(t testing.TB, fn, ackWait string, concurrency int) *config.Mesh {
	t.Helper()
	file := filepath.Join(t.TempDir(), "mesh.yaml")
	if err := os.WriteFile(file, []byte(meshYAML(fn, ackWait, concurrency)), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := meshmap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// meshYAML is a mesh with one stream and one function consuming the
// com.example.test.* events. The function reads the whole stream
// (startFrom: all): the suites store their events before any replica has
// created the consumer.
func meshYAML(fn, ackWait string, concurrency int) string {
	return fmt.Sprintf(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: test }
streams:
  - name: EVENTS
    subjects: ["events.>"]
    storage: memory
functions:
  - name: %s
    filters:
      - prefix: { type: com.example.test. }
    run: { command: ["worker"] }
    startFrom: all
    concurrency: %d
    ackWait: %s
    timeout: 10s
    delivery: { retry: 3, backoffDelay: 100ms, backoffMax: 1s }
`, fn, concurrency, ackWait)
}

func newClient(t testing.TB, nc *nats.Conn, m *config.Mesh) *broker.Client {
	t.Helper()
	c, err := broker.New(nc, meshmap.Broker(m))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.EnsureStreams(ctx, meshmap.Streams(m)...); err != nil {
		t.Fatal(err)
	}
	return c
}

func newTestEvent(source, id, typ string) *event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource(source)
	e.SetType(typ)
	_ = e.SetData(event.ApplicationJSON, map[string]string{"n": id})
	return &e
}

func testEvent(t testing.TB, id string) event.Event {
	t.Helper()
	e := event.New()
	e.SetID(id)
	e.SetSource("/test/source")
	e.SetType("com.example.order.created")
	e.SetSubject("orders/42")
	e.SetTime(time.Date(2025, 3, 1, 12, 30, 0, 0, time.UTC))
	e.SetExtension("tenant", "acme")
	if err := e.SetData(event.ApplicationJSON, map[string]any{"orderId": "42", "items": 3}); err != nil {
		t.Fatal(err)
	}
	return e
}
