package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/poll"
)

const meshYAML = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: app-test }
triggers:
  - name: orders
    http: { path: /orders, method: POST }
    emit: { type: com.example.order.created, source: /shop }
`

// TestRunServesTriggersAndOps starts the assembly on an embedded server
// and a random port, posts through a route, reads the operational
// endpoints, and stops it: /readyz turns 503 while draining and Serve
// returns once everything stopped.
func TestRunServesTriggersAndOps(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(file, []byte(meshYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := meshmap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	env := config.Env{DataDir: filepath.Join(dir, "data"), HTTPAddr: "127.0.0.1:0", NATSHost: "127.0.0.1", NATSPort: 0}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.New(ctx, app.Config{Mesh: m, Env: env, ShutdownTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	base := a.URL()

	poll.Until(t, 10*time.Second, "/readyz 200", func() bool { return get(t, base+"/readyz") == http.StatusOK })
	resp, err := http.Post(base+"/orders", "application/json", strings.NewReader(`{"sku":"A1"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /orders: %d, want 202", resp.StatusCode)
	}
	resp, err = http.Get(base + "/status")
	if err != nil {
		t.Fatal(err)
	}
	var st app.Status
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil || st.Functions == nil {
		t.Fatalf("GET /status: %+v, %v; want a functions list", st, err)
	}
	if code := get(t, base+"/livez"); code != http.StatusOK {
		t.Fatalf("/livez %d", code)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	a.Close()
	a.Close() // idempotent
}

func TestNewRejectsAMissingMesh(t *testing.T) {
	_, err := app.New(context.Background(), app.Config{Env: config.Env{HTTPAddr: "127.0.0.1:0"}})
	if err == nil || !strings.Contains(err.Error(), "mesh is required") {
		t.Fatalf("New without a mesh: %v, want the mesh named", err)
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
