package main

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
	"syscall"
	"testing"

	"github.com/fnmesh/fnmesh/internal/meshaddr"
	"time"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestUpEndToEnd runs the real binary: `fnmesh up` with an exec function,
// `fnmesh publish` over HTTP, the scaler starting a worker from zero, the
// function handling every event, `fnmesh status`, `fnmesh dlq ls`, and a
// clean exit on SIGTERM.
func TestUpEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the fnmesh binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fnmesh")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	outDir := filepath.Join(dir, "handled")
	if err := os.Mkdir(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	mesh := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(mesh, []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: uptest }
ingest: { path: /in }
functions:
  - name: record
    filters: [{ exact: { type: com.example.recorded } }]
    run: { exec: ["sh", "-c", 'cat > "$OUT/.$FNMESH_EVENT_ID" && mv "$OUT/.$FNMESH_EVENT_ID" "$OUT/$FNMESH_EVENT_ID"'] }
    env: { OUT: `+outDir+` }
    scaling: { minReplicaCount: 0, maxReplicaCount: 2, lagThreshold: 5, cooldownPeriod: 1s, pollingInterval: 200ms }
`), 0o644); err != nil {
		t.Fatal(err)
	}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	natsPort := freePort(t)
	monitorAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	env := append(os.Environ(),
		"FNMESH_NATS_MONITOR_ADDR="+monitorAddr,
		"FNMESH_DATA_DIR="+filepath.Join(dir, "data"),
		"FNMESH_HTTP_ADDR="+httpAddr,
		fmt.Sprintf("FNMESH_NATS_PORT=%d", natsPort),
		"FNMESH_SHUTDOWN_TIMEOUT=5s",
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"), // the nats context `up` writes
	)
	var logs bytes.Buffer
	up := exec.Command(bin, "up", "-f", mesh)
	up.Env = env // up runs the embedded server
	up.Stdout, up.Stderr = &logs, &logs
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- up.Wait() }()
	t.Cleanup(func() {
		_ = up.Process.Kill()
		if t.Failed() {
			t.Logf("fnmesh up output:\n%s", logs.String())
		}
	})

	waitFor(t, 30*time.Second, "readyz", func() bool {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	// The other commands find the mesh, on its non-default random ports,
	// through the file up writes in its data directory: no FNMESH_URL,
	// NATS_URL or flag says where it is.
	dataDir := filepath.Join(dir, "data")
	var addr meshaddr.Addr
	waitFor(t, 10*time.Second, "listen file", func() bool {
		a, ok, err := meshaddr.Read(dataDir)
		addr = a
		return ok && err == nil
	})
	if addr.HTTP != "http://"+httpAddr || addr.NATS != fmt.Sprintf("nats://127.0.0.1:%d", natsPort) || addr.PID != up.Process.Pid {
		t.Errorf("listen file %+v, want http %s, nats port %d, pid %d", addr, httpAddr, natsPort, up.Process.Pid)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("fnmesh %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	const n = 20
	for i := range n {
		out := run("publish", "--type", "com.example.recorded", "--source", "/uptest", "--id", fmt.Sprintf("ev-%d", i), "--data", `{"i":1}`, "-o", "json")
		var res map[string]any
		if err := json.Unmarshal([]byte(out), &res); err != nil || res["stream"] != "EVENTS" {
			t.Fatalf("publish answer %q: %v", out, err)
		}
	}
	// The script writes under a dot name and renames when done, so a file
	// with the event's id is a finished handler.
	waitFor(t, 60*time.Second, "every event handled", func() bool {
		entries, _ := os.ReadDir(outDir)
		done := 0
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".") {
				done++
			}
		}
		return done == n
	})
	for i := range n {
		b, err := os.ReadFile(filepath.Join(outDir, fmt.Sprintf("ev-%d", i)))
		if err != nil || !strings.Contains(string(b), `"id":"ev-`) {
			t.Fatalf("event ev-%d: %q, %v", i, b, err)
		}
	}

	var st struct {
		Functions []struct {
			Function string `json:"function"`
			Backlog  uint64 `json:"backlog"`
		} `json:"functions"`
	}
	waitFor(t, 20*time.Second, "backlog 0 in status", func() bool {
		if err := json.Unmarshal([]byte(run("status", "-o", "json")), &st); err != nil {
			return false
		}
		return len(st.Functions) == 1 && st.Functions[0].Function == "record" && st.Functions[0].Backlog == 0
	})
	// The embedded server's monitoring endpoint answers KEDA's query.
	if lag, ok := jszLag(t, "http://"+monitorAddr, "EVENTS", "record"); !ok || lag != 0 {
		t.Errorf("/jsz: consumer record on EVENTS found %v with lag %d, want found with 0", ok, lag)
	}
	if out := run("dlq", "ls", "-f", mesh, "-o", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("dead letters: %s", out)
	}

	if err := up.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("fnmesh up exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("fnmesh up still running 30s after SIGTERM")
	}
	if _, err := os.Stat(meshaddr.Path(dataDir)); !os.IsNotExist(err) {
		t.Errorf("listen file after a clean stop: %v, want removed", err)
	}
}

// jszLag is num_pending + num_ack_pending of a consumer of account $G as
// KEDA's nats-jetstream scaler reads it from /jsz.
func jszLag(t *testing.T, base, stream, consumer string) (int, bool) {
	t.Helper()
	resp, err := http.Get(base + "/jsz?acc=$G&consumers=true&config=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Accounts []struct {
			Name    string `json:"name"`
			Streams []struct {
				Name      string `json:"name"`
				Consumers []struct {
					Name          string `json:"name"`
					NumPending    int    `json:"num_pending"`
					NumAckPending int    `json:"num_ack_pending"`
				} `json:"consumer_detail"`
			} `json:"stream_detail"`
		} `json:"account_details"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("/jsz: %v", err)
	}
	for _, a := range body.Accounts {
		for _, s := range a.Streams {
			for _, c := range s.Consumers {
				if a.Name == "$G" && s.Name == stream && c.Name == consumer {
					return c.NumPending + c.NumAckPending, true
				}
			}
		}
	}
	return 0, false
}

func slicesWithout(env []string, prefix string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", d, what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
