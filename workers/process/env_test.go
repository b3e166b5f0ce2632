//go:build unix

package process_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fnmesh/fnmesh/workers/process"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// TestProcessRuntimeWorkerEnvIsItsOwn: a worker process gets the worker
// contract, OTEL_*, its own env and the secrets its entry names, and the
// system variables a program needs; none of the runtime's other
// variables (FNMESH_TOKEN, webhook secrets, route tokens, cloud keys).
func TestProcessRuntimeWorkerEnvIsItsOwn(t *testing.T) {
	leaks := map[string]string{
		"FNMESH_TOKEN":          "ingest-token-value",
		"GITHUB_WEBHOOK_SECRET": "webhook-secret-value",
		"ORDERS_ROUTE_TOKEN":    "route-token-value",
		"AWS_SECRET_ACCESS_KEY": "cloud-key-value",
		"FNMESH_OPS_TOKEN":      "ops-token-value",
	}
	for k, v := range leaks {
		t.Setenv(k, v)
	}
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
	work := t.TempDir()
	fn := shellFn("alpha", `env > "$OUT/.env" && mv "$OUT/.env" "$OUT/env"; exec sleep 60`)
	fn.Env = map[string]string{"OUT": work, "FOO": "own"}
	fn.SecretEnv = map[string]string{"STRIPE_KEY": "stripe-secret"}
	rt, _ := newProcRuntime(t, with(shellMesh(t, fn), func(c *process.Config) {
		c.NATS = workerenv.NATS{URL: "nats://127.0.0.1:4999", User: "fnmesh", Password: "nats-password"}
	}))
	if err := rt.Scale(context.Background(), "alpha", 1); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for line := range strings.Lines(readFileEventually(t, filepath.Join(work, "env"))) {
		if k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "="); ok {
			got[k] = v
		}
	}
	want := map[string]string{
		"FNMESH_FUNCTION": "alpha", "FNMESH_REPLICA": "alpha-1",
		"NATS_URL": "nats://127.0.0.1:4999", "NATS_USER": "fnmesh", "NATS_PASSWORD": "nats-password",
		"OTEL_SERVICE_NAME": "alpha", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
		"OUT": work, "FOO": "own", "STRIPE_KEY": "stripe-secret",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		_, wanted := want[k]
		shell := k == "PWD" || k == "SHLVL" || k == "_" || k == "OLDPWD" // set by sh itself
		if !wanted && !shell && k != workerenv.File && !workerenv.IsSystem(k) {
			t.Errorf("the worker got %s=%q: not its own", k, got[k])
		}
		for name, secret := range leaks {
			if strings.Contains(got[k], secret) {
				t.Errorf("%s of the runtime's environment reached the worker in %s", name, k)
			}
		}
	}
	if got["PATH"] != os.Getenv("PATH") {
		t.Errorf("PATH=%q, want the runtime's", got["PATH"])
	}
}
