package broker_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// Concurrent publishes of one event (the same Nats-Msg-Id) on an R3
// stream: while the first is being replicated the leader answers the
// others 409 "duplicate message id is in process". Each must come back
// stored (once) or as the duplicate, never as an error a trigger turns
// into a 5xx.
func TestConcurrentPublishOfOneEventOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	cl := brokertest.Cluster(t, 3)
	c := brokertest.Client(t, cl.Node(0), broker.StreamSpec{Name: "EVENTS", Subjects: []string{"events.>"}, Replicas: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const rounds, writers = 20, 16
	for r := range rounds {
		e := newEvent("same-" + string(rune('a'+r)))
		var wg sync.WaitGroup
		acks := make([]broker.Ack, writers)
		errs := make([]error, writers)
		start := make(chan struct{})
		for i := range writers {
			wg.Go(func() {
				<-start
				acks[i], errs[i] = c.Publish(ctx, e)
			})
		}
		close(start)
		wg.Wait()
		stored := 0
		for i := range writers {
			if errs[i] != nil {
				t.Fatalf("round %d writer %d: %v, want the event stored or its duplicate", r, i, errs[i])
			}
			if !acks[i].Duplicate {
				stored++
			}
		}
		if stored != 1 {
			t.Fatalf("round %d: %d answers said stored, want 1", r, stored)
		}
	}
	p, err := c.StreamPlacement(ctx, "EVENTS")
	if err != nil || p.Messages != rounds {
		t.Fatalf("stream: %+v, %v; want %d events", p, err, rounds)
	}
}
