//go:build unix

package process_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/workers/scale"
)

// TestReplicasGetHealthPortsOfTheirOwn starts several replicas of two
// functions that both ask for the same FNMESH_HEALTH_ADDR while another
// program holds that very port: every replica gets a port of its own, none
// the held one, and a port is given again only after its replica ended.
// Each replica binds its address for real (a Go worker would serve
// /livez, /readyz and /metrics there): a collision fails it.
func TestReplicasGetHealthPortsOfTheirOwn(t *testing.T) {
	t.Parallel()
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	base := held.Addr().(*net.TCPAddr).Port
	work := t.TempDir()
	// The replica writes its address, then holds the port with a worker of
	// the test binary's own (helperListen) until it is stopped.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string) scale.Workload {
		return scale.Workload{Function: name, Command: []string{self, "-test.run=^TestHelperListen$"},
			Env: map[string]string{"OUT": work, "FNMESH_HEALTH_ADDR": "127.0.0.1:" + strconv.Itoa(base), "FNMESH_TEST_LISTEN": "1"}}
	}
	rt, _ := newProcRuntime(t, shellMesh(t, mk("alpha"), mk("beta")))
	ctx := context.Background()
	if err := rt.Scale(ctx, "alpha", 3); err != nil {
		t.Fatal(err)
	}
	if err := rt.Scale(ctx, "beta", 2); err != nil {
		t.Fatal(err)
	}
	addrs := map[string]string{} // replica -> address it listens on
	for _, id := range []string{"alpha-1", "alpha-2", "alpha-3", "beta-1", "beta-2"} {
		addrs[id] = listening(t, filepath.Join(work, id))
	}
	seen := map[string]string{}
	for id, a := range addrs {
		if other, dup := seen[a]; dup {
			t.Errorf("%s and %s both listen on %s", id, other, a)
		}
		seen[a] = id
		_, p, _ := net.SplitHostPort(a)
		if port, _ := strconv.Atoi(p); port <= base {
			t.Errorf("%s listens on %s, want a port above %d (held by another program)", id, a, base)
		}
	}

	// alpha-3 ends; a new replica gets a port no live replica holds.
	if err := rt.Stop(ctx, "alpha", "alpha-3"); err != nil {
		t.Fatal(err)
	}
	if err := rt.Scale(ctx, "alpha", 3); err != nil {
		t.Fatal(err)
	}
	a4 := listening(t, filepath.Join(work, "alpha-4"))
	for id, a := range addrs {
		if id != "alpha-3" && a == a4 {
			t.Errorf("alpha-4 listens on %s, the port of live %s", a4, id)
		}
	}
}

// listening waits for the address a replica wrote once it was listening.
func listening(t *testing.T, path string) string {
	t.Helper()
	s := strings.TrimSpace(readFileEventually(t, path))
	if strings.HasPrefix(s, "error ") {
		t.Fatalf("%s: %s", filepath.Base(path), s)
	}
	return s
}

// TestHelperListen is the replica of TestReplicasGetHealthPortsOfTheirOwn:
// it listens on FNMESH_HEALTH_ADDR, writes the address (or the error) to
// $OUT/$FNMESH_REPLICA and waits to be stopped.
func TestHelperListen(t *testing.T) {
	if os.Getenv("FNMESH_TEST_LISTEN") != "1" {
		t.Skip("helper process of TestReplicasGetHealthPortsOfTheirOwn")
	}
	out := filepath.Join(os.Getenv("OUT"), os.Getenv("FNMESH_REPLICA"))
	ln, err := net.Listen("tcp", os.Getenv("FNMESH_HEALTH_ADDR"))
	if err != nil {
		_ = os.WriteFile(out, []byte("error "+err.Error()+"\n"), 0o644)
		os.Exit(1)
	}
	defer ln.Close()
	if err := os.WriteFile(out, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
		os.Exit(1)
	}
	time.Sleep(time.Minute) // until SIGTERM ends the process
	os.Exit(0)
}

func TestHealthAddrMustBeHostPort(t *testing.T) {
	t.Parallel()
	fn := shellFn("alpha", "exec sleep 60")
	fn.Env = map[string]string{"FNMESH_HEALTH_ADDR": "localhost"}
	rt, _ := newProcRuntime(t, shellMesh(t, fn))
	err := rt.Check(context.Background(), "alpha")
	if !errors.Is(err, scale.ErrNotRunnable) || !strings.Contains(err.Error(), "FNMESH_HEALTH_ADDR") {
		t.Errorf("Check = %v, want ErrNotRunnable naming FNMESH_HEALTH_ADDR", err)
	}
}
