package app_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/poll"
)

// runUp runs `up` with the mesh meshYAML on loopback, its embedded
// server on a random port and its functions left to the test (NoFunctions),
// and waits until /readyz answers 200. It returns the running up, the mesh
// file (for a worker's functions.WithMeshFile) and a connection with the
// data directory's credentials, as a worker of the test would hold. All of
// it stops when the test ends.
func runUp(t *testing.T, meshYAML string) (a *app.App, file string, nc *nats.Conn) {
	t.Helper()
	return runUpWith(t, meshYAML, func(c *app.Config) { c.NoFunctions = true })
}

// runUpWith is runUp with up's configuration left to set: it writes meshYAML,
// lets set change the configuration before up starts, and returns as runUp.
func runUpWith(t *testing.T, meshYAML string, set func(*app.Config)) (a *app.App, file string, nc *nats.Conn) {
	t.Helper()
	dir := t.TempDir()
	file = filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(file, []byte(meshYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := meshmap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	ctx, cancel := context.WithCancel(context.Background())
	cfg := app.Config{Mesh: m, Env: config.Env{DataDir: data, HTTPAddr: "127.0.0.1:0", NATSHost: "127.0.0.1"}, ShutdownTimeout: time.Second}
	if set != nil {
		set(&cfg)
	}
	a, err = app.New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	poll.Until(t, 10*time.Second, "/readyz 200", func() bool { return get(t, a.URL()+"/readyz") == http.StatusOK })

	creds, err := embedded.ReadCredentials(data)
	if err != nil {
		t.Fatal(err)
	}
	nc, err = nats.Connect(a.NATSURL(), creds.Options()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return a, file, nc
}
