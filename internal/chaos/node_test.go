package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/poll"
)

// node is one `fnmesh up` process of the cluster; it keeps its ports and
// data directory across restarts.
type node struct {
	t    *testing.T
	name string
	dir  string
	http string // host:port
	nats int    // client port
	env  []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logs *bytes.Buffer // every run's output, kept for the failure report
}

// syncBuffer is a bytes.Buffer written by a child's stdout and stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// newCluster describes n nodes sharing one route list and secret.
func newCluster(t *testing.T, n int, meshFile, secret string) []*node {
	routes := make([]string, n)
	addrs := make([]string, n)
	for i := range n {
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		routes[i] = "nats-route://" + addrs[i]
	}
	base := t.TempDir()
	var nodes []*node
	for i := range n {
		nd := &node{t: t, name: fmt.Sprintf("n%d", i+1), dir: filepath.Join(base, fmt.Sprintf("n%d", i+1)),
			http: fmt.Sprintf("127.0.0.1:%d", freePort(t)), nats: freePort(t), logs: &bytes.Buffer{}}
		nd.env = append(minimalEnv(),
			"FNMESH_FILE="+meshFile,
			"FNMESH_DATA_DIR="+filepath.Join(nd.dir, "data"),
			"FNMESH_HTTP_ADDR="+nd.http,
			fmt.Sprintf("FNMESH_NATS_PORT=%d", nd.nats),
			"FNMESH_CLUSTER_NAME=chaos",
			"FNMESH_CLUSTER_ADDR="+addrs[i],
			"FNMESH_CLUSTER_ROUTES="+strings.Join(routes, ","),
			"FNMESH_SERVER_NAME="+nd.name,
			"FNMESH_CLUSTER_SECRET="+secret,
			"FNMESH_SHUTDOWN_TIMEOUT=5s",
			"FNMESH_LOG_LEVEL=info",
			"XDG_CONFIG_HOME="+filepath.Join(nd.dir, "config"),
		)
		nodes = append(nodes, nd)
	}
	t.Cleanup(func() {
		for _, nd := range nodes {
			nd.kill()
		}
		if t.Failed() {
			for _, nd := range nodes {
				t.Logf("----- %s output (last 8 KiB):\n%s", nd.name, tail(nd.output(), 8<<10))
			}
		}
	})
	return nodes
}

// minimalEnv is what a node inherits: PATH and HOME, nothing of the
// test's own FNMESH_* or NATS_* settings.
func minimalEnv() []string {
	var out []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (nd *node) output() string {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.logs.String()
}

// start runs `fnmesh up` for the node (without waiting for it).
func (nd *node) start() {
	nd.t.Helper()
	nd.mu.Lock()
	defer nd.mu.Unlock()
	cmd := exec.Command(binary, "up")
	cmd.Env = nd.env
	cmd.Dir = nd.dir
	w := &syncBuffer{b: nd.logs}
	cmd.Stdout, cmd.Stderr = w, w
	if err := os.MkdirAll(nd.dir, 0o755); err != nil {
		nd.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		nd.t.Fatalf("start %s: %v", nd.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	nd.cmd, nd.done = cmd, done
}

// kill sends SIGKILL (no drain, no goodbye) and waits for the exit.
func (nd *node) kill() { nd.signal(syscall.SIGKILL) }

// stop sends SIGTERM and waits for the drain to end.
func (nd *node) stop() { nd.signal(syscall.SIGTERM) }

func (nd *node) signal(sig syscall.Signal) {
	nd.mu.Lock()
	cmd, done := nd.cmd, nd.done
	nd.cmd = nil
	nd.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		nd.t.Errorf("%s: still running 30s after %v", nd.name, sig)
	}
}

// running reports whether the node's process was started and not stopped.
func (nd *node) running() bool {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.cmd != nil
}

var opsClient = &http.Client{Timeout: 3 * time.Second}

// ready reports whether the node answers /readyz with 200.
func (nd *node) ready() bool {
	resp, err := opsClient.Get("http://" + nd.http + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// status is the node's GET /status.
func (nd *node) status(ctx context.Context) (app.Status, error) {
	var st app.Status
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+nd.http+"/status", nil)
	resp, err := opsClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("status %s", resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// waitFor polls cond (internal/poll) until it holds or d passes, and
// returns how long that took.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	poll.Until(t, d, what, cond)
	return time.Since(start)
}
