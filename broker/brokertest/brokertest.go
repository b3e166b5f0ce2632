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
	"github.com/fnmesh/fnmesh/broker/embedded"
)

// setupTimeout bounds the start, the stop and the stream creation of a test
// server.
const setupTimeout = 10 * time.Second

// Server starts an embedded server on a random port with its store under
// dir (t.TempDir() when empty) and shuts it down when the test ends.
func Server(t testing.TB, dir string) *embedded.Server {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	return start(t, embedded.Config{DataDir: dir, Port: 0})
}

// SecureServer is Server with the credentials of dir (generated the first
// time, as `fnmesh up` does) required of every client.
func SecureServer(t testing.TB, dir string) *embedded.Server {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	creds, err := embedded.DataDirCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	return start(t, embedded.Config{DataDir: dir, Port: 0, Auth: &creds})
}

// start starts a server with cfg and shuts it down when the test ends.
func start(t testing.TB, cfg embedded.Config) *embedded.Server {
	t.Helper()
	e, err := embedded.Start(cfg, nil)
	if err != nil {
		t.Fatalf("start embedded server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		_ = e.Shutdown(ctx)
	})
	return e
}

// Conn opens a TCP connection to the server (as another process would),
// with its credentials when it requires some, and closes it when the test
// ends.
func Conn(t testing.TB, e *embedded.Server, opts ...nats.Option) *nats.Conn {
	t.Helper()
	if c, ok := e.Credentials(); ok {
		opts = append(c.Options(), opts...)
	}
	nc, err := nats.Connect(e.ClientURL(), opts...)
	if err != nil {
		t.Fatalf("connect %s: %v", e.ClientURL(), err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// Streams is the default event stream: EVENTS on "events.>".
func Streams() []broker.StreamSpec {
	return []broker.StreamSpec{{Name: "EVENTS", Subjects: []string{broker.DefaultSubjectPrefix + ".>"}}}
}

// DeadLetter is where the helpers keep dead letters: the defaults,
// DEADLETTER on "deadletter.>".
func DeadLetter() broker.DeadLetterConfig { return broker.DeadLetterConfig{} }

// Client returns a broker client (subject prefix "events") on a new
// connection, with streams (Streams() when none are given) and the
// dead-letter stream of DeadLetter() created.
func Client(t testing.TB, e *embedded.Server, streams ...broker.StreamSpec) *broker.Client {
	t.Helper()
	c, err := broker.New(Conn(t, e), broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(streams) == 0 {
		streams = Streams()
	}
	Ensure(t, c, append(streams, DeadLetter().StreamSpec())...)
	return c
}

// Ensure creates or updates streams through c, failing the test on an error.
func Ensure(t testing.TB, c *broker.Client, streams ...broker.StreamSpec) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := c.EnsureStreams(ctx, streams...); err != nil {
		t.Fatalf("ensure streams: %v", err)
	}
}

// DeadLetterQueue is the dead-letter queue of DeadLetter() on c.
func DeadLetterQueue(t testing.TB, c *broker.Client) *broker.DeadLetterQueue {
	t.Helper()
	q, err := broker.NewDeadLetterQueue(c, DeadLetter())
	if err != nil {
		t.Fatal(err)
	}
	return q
}
