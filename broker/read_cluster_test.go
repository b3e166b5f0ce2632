package broker_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// ReadStream reads a freshly created R3 stream on a cluster to its end at
// once, from whichever node the client is connected to, filtered or not.
func TestReadStreamOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl := brokertest.Cluster(t, 3)
	for round := range 3 {
		name := fmt.Sprintf("READ%d", round)
		spec := broker.StreamSpec{Name: name, Subjects: []string{fmt.Sprintf("read%d.>", round)}, Replicas: 3}
		// Each round declares from another node and reads at once.
		c := brokertest.Client(t, cl.Node(round), spec)
		const n = 300
		for i := range n {
			e := event.New()
			e.SetID(fmt.Sprint(i))
			e.SetSource("/test")
			e.SetType("com.example.a")
			if i%3 == 0 {
				e.SetType("com.example.b")
			}
			subj := fmt.Sprintf("read%d.%s", round, e.Type())
			if _, err := c.PublishTo(ctx, subj, &e, ""); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			filter string
			want   int
		}{{"", n}, {fmt.Sprintf("read%d.com.example.b", round), n / 3}, {fmt.Sprintf("read%d.com.>", round), n}, {fmt.Sprintf("read%d.none", round), 0}} {
			got := 0
			if err := c.ReadStream(ctx, name, tc.filter, func(se broker.StoredEvent) bool {
				if se.Err != nil {
					t.Errorf("seq %d: %v", se.Sequence, se.Err)
				}
				got++
				return true
			}); err != nil {
				t.Fatalf("round %d filter %q: %v", round, tc.filter, err)
			}
			if got != tc.want {
				t.Fatalf("round %d filter %q: read %d events, want %d", round, tc.filter, got, tc.want)
			}
		}
	}
}
