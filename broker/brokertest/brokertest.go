// Package brokertest starts a real embedded NATS server with JetStream for
// tests: random port, store in a temporary directory, stopped at the end of
// the test.
package brokertest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/config"
)

// Server starts an embedded server on a random port with its store under
// dir (t.TempDir() when empty) and shuts it down when the test ends.
func Server(t testing.TB, dir string) *broker.Embedded {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	e, err := broker.StartEmbedded(broker.ServerConfig{DataDir: dir, Port: 0}, nil)
	if err != nil {
		t.Fatalf("start embedded server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Shutdown(ctx)
	})
	return e
}

// Conn opens a TCP connection to the server (as another process would) and
// closes it when the test ends.
func Conn(t testing.TB, e *broker.Embedded, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(e.ClientURL(), opts...)
	if err != nil {
		t.Fatalf("connect %s: %v", e.ClientURL(), err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// Mesh is a minimal mesh with the default EVENTS stream on "events.>" and the
// dead-letter stream.
func Mesh() *config.Mesh {
	return &config.Mesh{
		APIVersion:    config.APIVersion,
		Kind:          config.Kind,
		SubjectPrefix: "events",
		Streams:       []config.Stream{{Name: "EVENTS", Subjects: []string{"events.>"}}},
		DeadLetter:    config.DeadLetterStream{Stream: "DEADLETTER", SubjectPrefix: "deadletter"},
	}
}

// Client returns a broker client on a new connection with the streams of m
// (Mesh() when nil) created.
func Client(t testing.TB, e *broker.Embedded, m *config.Mesh) *broker.Client {
	t.Helper()
	if m == nil {
		m = Mesh()
	}
	c, err := broker.New(Conn(t, e), m.SubjectPrefix)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.EnsureStreams(ctx, m); err != nil {
		t.Fatalf("ensure streams: %v", err)
	}
	return c
}
