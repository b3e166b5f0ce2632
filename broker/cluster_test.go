package broker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// StreamPlacement names the leader and the followers of an R3 stream on a
// cluster, and answers for a single server without a cluster.
func TestStreamPlacement(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	single := brokertest.Client(t, brokertest.Server(t, ""))
	p, err := single.StreamPlacement(ctx, "EVENTS")
	if err != nil || p.Stream != "EVENTS" || p.Cluster != "" || len(p.Replicas) != 0 {
		t.Fatalf("single server: %+v, %v", p, err)
	}
	if _, err := single.StreamPlacement(ctx, "NOPE"); err == nil || errors.Is(err, broker.ErrUnavailable) {
		t.Errorf("missing stream: %v, want an error that is not ErrUnavailable", err)
	}
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	cl := brokertest.Cluster(t, 3)
	c := brokertest.Client(t, cl.Node(1), broker.StreamSpec{Name: "EVENTS", Subjects: []string{"events.>"}, Replicas: 3})
	p, err = c.StreamPlacement(ctx, "EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	if p.Cluster != "test" || p.Leader == "" || len(p.Replicas) != 2 {
		t.Fatalf("R3 stream: %+v, want cluster test, a leader and two followers", p)
	}
	for _, r := range p.Replicas {
		if r.Server == p.Leader {
			t.Errorf("the leader %s is listed as a follower", r.Server)
		}
	}
}
