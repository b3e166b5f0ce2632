package nodes_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/app/nodes"
	"github.com/fnmesh/fnmesh/internal/poll"
)

// bucket is a registry bucket whose records expire after ttl.
func bucket(t *testing.T, ttl time.Duration) jetstream.KeyValue {
	t.Helper()
	c := brokertest.Client(t, brokertest.Server(t, ""))
	kv, err := c.KeyValue(context.Background(), broker.KVConfig{Bucket: nodes.Bucket, TTL: ttl, Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func names(r *nodes.Registry) []string {
	var out []string
	for _, n := range r.Nodes() {
		out = append(out, n.Node)
	}
	return out
}

// Nodes find each other, take their places by name and see each other's
// replicas; one that stops is gone at once, one that dies once its record
// expires.
func TestRegistry(t *testing.T) {
	kv := bucket(t, time.Second)
	const beat = 100 * time.Millisecond
	newNode := func(name string, reps map[string]int) *nodes.Registry {
		r, err := nodes.New(kv, nodes.Config{Node: name, HTTP: name + ":8080", Heartbeat: beat,
			Replicas: func() map[string]int { return reps }}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a := newNode("a", map[string]int{"f": 2})
	b := newNode("b", map[string]int{"f": 1, "g": 4})
	c := newNode("c.example.com", map[string]int{"f": 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	ctxB, stopB := context.WithCancel(ctx)
	wg.Go(func() { _ = a.Run(ctx) })
	wg.Go(func() { _ = b.Run(ctxB) })
	if err := c.Refresh(ctx); err != nil { // c writes once, then "dies"
		t.Fatal(err)
	}

	poll.Until(t, 5*time.Second, "a sees all three", func() bool {
		return slices.Equal(names(a), []string{"a", "b", "c.example.com"})
	})
	if i, n := a.Place(); i != 0 || n != 3 {
		t.Errorf("a.Place() = %d, %d, want 0, 3", i, n)
	}
	poll.Until(t, 5*time.Second, "b at 1 of 3", func() bool { i, n := b.Place(); return i == 1 && n == 3 })
	if got := a.Replicas("f"); got != 2 {
		t.Errorf("a.Replicas(f) = %d, want 2 (b's 1 and c's 1)", got)
	}
	if got := a.Replicas("g"); got != 4 {
		t.Errorf("a.Replicas(g) = %d, want 4", got)
	}
	if rec := a.Nodes()[1]; rec.HTTP != "b:8080" || rec.Written.IsZero() || rec.Started.IsZero() {
		t.Errorf("b's record as a sees it: %+v", rec)
	}

	stopB()
	start := time.Now()
	poll.Until(t, 5*time.Second, "b, stopped, is gone", func() bool { return !slices.Contains(names(a), "b") })
	if took := time.Since(start); took > 900*time.Millisecond {
		t.Errorf("b left after %s: a clean stop should not wait for the record to expire", took)
	}
	poll.Until(t, 5*time.Second, "c, dead, expires", func() bool { return slices.Equal(names(a), []string{"a"}) })
	if i, n := a.Place(); i != 0 || n != 1 || a.Replicas("f") != 0 || a.Err() != nil {
		t.Errorf("a alone: place %d of %d, others' replicas %d, err %v", i, n, a.Replicas("f"), a.Err())
	}
}

func TestNewRegistryErrors(t *testing.T) {
	kv := bucket(t, time.Second)
	if _, err := nodes.New(nil, nodes.Config{Node: "a"}, nil); err == nil {
		t.Error("nil store accepted")
	}
	if _, err := nodes.New(kv, nodes.Config{}, nil); err == nil || err.Error() != "nodes: Node: required" {
		t.Errorf("no node name: %v", err)
	}
	if _, err := nodes.New(kv, nodes.Config{Node: "a", Heartbeat: -time.Second}, nil); err == nil {
		t.Error("negative heartbeat accepted")
	}
	if got := nodes.Key("node 1.example.com"); got != "node_1_example_com" {
		t.Errorf("Key = %q", got)
	}
}
