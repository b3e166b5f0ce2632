package scale_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/workers/scale"
)

func TestShare(t *testing.T) {
	tests := []struct {
		total, nodes int
		want         []int
	}{
		{total: 0, nodes: 3, want: []int{0, 0, 0}},
		{total: 1, nodes: 3, want: []int{1, 0, 0}},
		{total: 2, nodes: 3, want: []int{1, 1, 0}},
		{total: 5, nodes: 3, want: []int{2, 2, 1}},
		{total: 6, nodes: 3, want: []int{2, 2, 2}},
		{total: 7, nodes: 1, want: []int{7}},
		{total: 3, nodes: 2, want: []int{2, 1}},
	}
	for _, tt := range tests {
		var got []int
		sum := 0
		for i := range tt.nodes {
			n := scale.Share(tt.total, i, tt.nodes)
			got = append(got, n)
			sum += n
		}
		if !slices.Equal(got, tt.want) || sum != tt.total {
			t.Errorf("Share(%d, i, %d) = %v (sum %d), want %v", tt.total, tt.nodes, got, sum, tt.want)
		}
	}
	if got := scale.Share(4, 5, 3); got != 4 {
		t.Errorf("Share with an index out of range = %d, want the whole total 4", got)
	}
	if got := scale.Share(4, 0, 0); got != 4 {
		t.Errorf("Share with no nodes = %d, want the whole total 4", got)
	}
}

// fakeCluster stands in for the node registry: which nodes are live, and
// the replicas each node's runtime runs.
type fakeCluster struct {
	mu   sync.Mutex
	live []int // node numbers, in the agreed order
	rts  []*countRuntime
}

type fakePeers struct {
	c    *fakeCluster
	node int
}

func (p fakePeers) Place() (int, int) {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	return slices.Index(p.c.live, p.node), len(p.c.live)
}

func (p fakePeers) Replicas(fn string) int {
	p.c.mu.Lock()
	live := slices.Clone(p.c.live)
	p.c.mu.Unlock()
	n := 0
	for _, node := range live {
		if node != p.node {
			reps, _ := p.c.rts[node].List(context.Background(), fn)
			n += len(reps)
		}
	}
	return n
}

func (c *fakeCluster) counts(fn string) []int {
	out := make([]int, len(c.rts))
	for i, rt := range c.rts {
		reps, _ := rt.List(context.Background(), fn)
		out[i] = len(reps)
	}
	return out
}

// Three scalers with peers run together the count one scaler would run,
// split by their place; when a node leaves the live set the others take
// over its share at once, and a scale down still waits for the cooldown.
func TestScalersShareTheCount(t *testing.T) {
	c := &fakeCluster{live: []int{0, 1, 2}}
	for range 3 {
		c.rts = append(c.rts, newCountRuntime(nil))
	}
	var bl struct {
		sync.Mutex
		b scale.Backlog
	}
	bl.b = scale.Backlog{Pending: 500}
	src := backlogFunc(func() scale.Backlog { bl.Lock(); defer bl.Unlock(); return bl.b })
	p := scale.Params{Max: 10, LagThreshold: 100, Cooldown: 300 * time.Millisecond, PollingInterval: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	scalers := make([]*scale.Scaler, 3)
	stops := make([]context.CancelFunc, 3)
	dones := make([]chan struct{}, 3)
	for i := range 3 {
		ctx, stop := context.WithCancel(ctx)
		stops[i], dones[i] = stop, make(chan struct{})
		s, err := scale.New(src, c.rts[i], scale.Config{Functions: []scale.Function{{Name: "f", Params: p}}},
			scale.WithPeers(fakePeers{c: c, node: i}))
		if err != nil {
			t.Fatal(err)
		}
		scalers[i] = s
		wg.Go(func() { _ = s.Run(ctx); close(dones[i]) })
	}
	defer wg.Wait()
	defer cancel()

	poll.Until(t, 5*time.Second, "5 replicas split 2+2+1", func() bool { return slices.Equal(c.counts("f"), []int{2, 2, 1}) })
	st := scalers[2].Status()[0]
	poll.Until(t, 5*time.Second, "node 3's status", func() bool {
		st = scalers[2].Status()[0]
		return st.Desired == 5 && st.Actual == 5 && st.NodeDesired == 1 && st.NodeActual == 1
	})

	// Node 1 dies: its replicas are gone with it, the others run 3+2.
	stops[0]()
	<-dones[0]
	c.mu.Lock()
	c.live = []int{1, 2}
	c.mu.Unlock()
	_ = c.rts[0].Scale(ctx, "f", 0)
	poll.Until(t, 5*time.Second, "the two live nodes take over: 3+2", func() bool { return slices.Equal(c.counts("f"), []int{0, 3, 2}) })

	// The backlog falls: after the cooldown the total comes down to 1.
	bl.Lock()
	bl.b = scale.Backlog{Pending: 50}
	bl.Unlock()
	start := time.Now()
	poll.Until(t, 5*time.Second, "one replica in all", func() bool { return slices.Equal(c.counts("f"), []int{0, 1, 0}) })
	if waited := time.Since(start); waited < p.Cooldown {
		t.Errorf("scaled down after %s, before the cooldown of %s", waited, p.Cooldown)
	}
}

// backlogFunc is a BacklogSource answering what a function returns.
type backlogFunc func() scale.Backlog

func (f backlogFunc) Backlog(context.Context, string) (scale.Backlog, error) { return f(), nil }
