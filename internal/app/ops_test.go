package app_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
)

// startApp runs the assembly of meshYAML with env (data dir, address and
// port filled in) until the test ends, and returns its base URL.
func startApp(t *testing.T, env config.Env) string {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(file, []byte(meshYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := meshmap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	env.DataDir, env.HTTPAddr, env.NATSHost = filepath.Join(dir, "data"), "127.0.0.1:0", "127.0.0.1"
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, app.Config{Mesh: m, Env: env, ShutdownTimeout: 5 * time.Second})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	return a.URL()
}

// TestOpsEndpointsTakeTheToken checks that /status and /metrics answer 401
// without the operations token when one is set, and that /livez and
// /readyz stay open.
func TestOpsEndpointsTakeTheToken(t *testing.T) {
	tests := []struct {
		name       string
		env        config.Env
		path       string
		auth       string
		wantStatus int
	}{
		{name: "status without token", env: config.Env{OpsToken: "ops"}, path: "/status", wantStatus: http.StatusUnauthorized},
		{name: "status with a wrong token", env: config.Env{OpsToken: "ops"}, path: "/status", auth: "Bearer nope", wantStatus: http.StatusUnauthorized},
		{name: "status with the token", env: config.Env{OpsToken: "ops"}, path: "/status", auth: "Bearer ops", wantStatus: http.StatusOK},
		{name: "metrics without token", env: config.Env{OpsToken: "ops"}, path: "/metrics", wantStatus: http.StatusUnauthorized},
		{name: "metrics with the token", env: config.Env{OpsToken: "ops"}, path: "/metrics", auth: "Bearer ops", wantStatus: http.StatusOK},
		{name: "the ingest token guards status without an ops token", env: config.Env{Token: "tok"}, path: "/status", wantStatus: http.StatusUnauthorized},
		{name: "livez stays open", env: config.Env{OpsToken: "ops"}, path: "/livez", wantStatus: http.StatusOK},
		{name: "readyz stays open", env: config.Env{OpsToken: "ops"}, path: "/readyz", wantStatus: http.StatusOK},
		{name: "status without a configured token", path: "/status", wantStatus: http.StatusOK},
		{name: "metrics without a configured token", path: "/metrics", wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := startApp(t, tt.env)
			req, _ := http.NewRequest(http.MethodGet, base+tt.path, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestNewRefusesAWhiteSpaceOpsToken(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(file, []byte(meshYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := meshmap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	env := config.Env{OpsToken: "  ", DataDir: filepath.Join(dir, "data"), HTTPAddr: "127.0.0.1:0", NATSHost: "127.0.0.1"}
	if _, err := app.New(context.Background(), app.Config{Mesh: m, Env: env}); err == nil {
		t.Error("a token of white space was accepted")
	}
}
