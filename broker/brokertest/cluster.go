package brokertest

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"github.com/fnmesh/fnmesh/broker/embedded"
)

// TestCluster is a NATS cluster of embedded servers in the test process,
// on loopback with fixed ports (so a node restarts where its peers look
// for it) and a store per node under the test's temporary directory.
type TestCluster struct {
	t    testing.TB
	cfgs []embedded.Config

	mu    sync.Mutex
	nodes []*embedded.Server // nil while a node is stopped
}

// Cluster starts n embedded servers that form the cluster "test" (server
// names n1, n2, ...), waits until JetStream has a meta leader, and shuts
// every node down when the test ends.
func Cluster(t testing.TB, n int) *TestCluster {
	t.Helper()
	dir := t.TempDir()
	routes := make([]string, n)
	addrs := make([]string, n)
	for i := range n {
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", FreePort(t))
		routes[i] = "nats-route://" + addrs[i]
	}
	c := &TestCluster{t: t, nodes: make([]*embedded.Server, n)}
	for i := range n {
		c.cfgs = append(c.cfgs, embedded.Config{
			DataDir:    filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
			Port:       FreePort(t),
			ServerName: fmt.Sprintf("n%d", i+1),
			Cluster:    embedded.ClusterConfig{Name: "test", Addr: addrs[i], Routes: routes},
		})
	}
	t.Cleanup(func() {
		for i := range n {
			c.Stop(i)
		}
	})
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = c.start(i) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("start cluster node %d: %v", i+1, err)
		}
	}
	c.WaitJetStream()
	return c
}

// Node is the running server of node i (0-based), nil while it is stopped.
func (c *TestCluster) Node(i int) *embedded.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

// Config is the configuration node i runs with.
func (c *TestCluster) Config(i int) embedded.Config { return c.cfgs[i] }

// Size is the number of nodes.
func (c *TestCluster) Size() int { return len(c.cfgs) }

// URLs are the client URLs of every node, comma-separated, as NATS_URL
// takes them.
func (c *TestCluster) URLs() string {
	s := ""
	for i, cfg := range c.cfgs {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf("nats://127.0.0.1:%d", cfg.Port)
	}
	return s
}

// Stop shuts node i down (its store stays for Restart). Stopping a
// stopped node does nothing.
func (c *TestCluster) Stop(i int) {
	c.mu.Lock()
	s := c.nodes[i]
	c.nodes[i] = nil
	c.mu.Unlock()
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	_ = s.Shutdown(ctx)
}

// Restart starts node i again on its ports and store. It does not wait
// for JetStream: a node restarted alone has no quorum.
func (c *TestCluster) Restart(i int) *embedded.Server {
	c.t.Helper()
	if err := c.start(i); err != nil {
		c.t.Fatalf("restart cluster node %d: %v", i+1, err)
	}
	return c.Node(i)
}

func (c *TestCluster) start(i int) error {
	s, err := embedded.Start(c.cfgs[i], nil)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.nodes[i] = s
	c.mu.Unlock()
	return nil
}

// WaitJetStream waits until every running node sees a JetStream meta
// leader.
func (c *TestCluster) WaitJetStream() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*setupTimeout)
	defer cancel()
	for i := range c.cfgs {
		if s := c.Node(i); s != nil {
			if err := s.WaitJetStream(ctx); err != nil {
				c.t.Fatalf("cluster node %d: %v", i+1, err)
			}
		}
	}
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
