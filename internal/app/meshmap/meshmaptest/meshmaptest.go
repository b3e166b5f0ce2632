// Package meshmaptest gives tests that start from a mesh file a real
// broker with the streams the mesh declares, mapped by package meshmap.
// Tests of a single component use broker/brokertest instead.
package meshmaptest

import (
	"testing"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
)

// Mesh is a minimal mesh with the default EVENTS stream on "events.>" and
// the dead-letter stream.
func Mesh() *config.Mesh {
	return &config.Mesh{
		APIVersion:    config.APIVersion,
		Kind:          config.Kind,
		SubjectPrefix: "events",
		Streams:       []config.Stream{{Name: "EVENTS", Subjects: []string{"events.>"}}},
		DeadLetter:    config.DeadLetterStream{Stream: "DEADLETTER", SubjectPrefix: "deadletter"},
	}
}

// Client returns a broker client for m (Mesh() when nil) on a new
// connection to e, with the streams of m and its dead-letter stream
// created.
func Client(t testing.TB, e *embedded.Server, m *config.Mesh) *broker.Client {
	t.Helper()
	if m == nil {
		m = Mesh()
	}
	c, err := broker.New(brokertest.Conn(t, e), meshmap.Broker(m))
	if err != nil {
		t.Fatal(err)
	}
	brokertest.Ensure(t, c, meshmap.Streams(m)...)
	return c
}

// DeadLetterQueue is the dead-letter queue of m on c.
func DeadLetterQueue(t testing.TB, c *broker.Client, m *config.Mesh) *broker.DeadLetterQueue {
	t.Helper()
	q, err := broker.NewDeadLetterQueue(c, meshmap.DeadLetter(m))
	if err != nil {
		t.Fatal(err)
	}
	return q
}
