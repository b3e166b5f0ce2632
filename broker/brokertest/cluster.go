package brokertest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/poll"
)

// TestCluster is a NATS cluster of embedded servers in the test process,
// on loopback, each with a store under the test's temporary directory. A
// node keeps its route and client ports when it restarts, so that its
// peers and clients find it again.
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
func (c *TestCluster) Config(i int) embedded.Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfgs[i]
}

// Size is the number of nodes.
func (c *TestCluster) Size() int { return len(c.cfgs) }

// URLs are the client URLs of every node, comma-separated, as NATS_URL
// takes them.
func (c *TestCluster) URLs() string {
	c.mu.Lock()
	defer c.mu.Unlock()
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
	s, err := embedded.Start(c.Config(i), nil)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.nodes[i] = s
	if c.cfgs[i].Port == 0 {
		u, err := url.Parse(s.ClientURL())
		if err == nil {
			c.cfgs[i].Port, _ = strconv.Atoi(u.Port())
		}
	}
	c.mu.Unlock()
	return nil
}

// WaitJetStream waits until every running node has caught up with a
// JetStream meta leader that knows every node of the cluster.
func (c *TestCluster) WaitJetStream() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*setupTimeout)
	defer cancel()
	for i := range c.cfgs {
		s := c.Node(i)
		if s == nil {
			continue
		}
		if err := s.WaitJetStream(ctx); err != nil {
			c.t.Fatalf("cluster node %d: %v", i+1, err)
		}
		if !poll.Wait(time.Until(deadline(ctx)), func() bool { return len(s.Cluster().Peers) == len(c.cfgs) }) {
			c.t.Fatalf("cluster node %d: meta group %+v, want %d peers", i+1, s.Cluster(), len(c.cfgs))
		}
	}
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
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
