package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

const sharedMesh = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: shared }
streams:
  - { name: EVENTS, subjects: ["events.>"] }
functions:
  - name: work
    filters: [ { exact: { type: com.example.work } } ]
    run: { exec: [sh, -c, "cat >/dev/null"] }
    scaling: { minReplicaCount: 0, maxReplicaCount: 4, lagThreshold: 10, pollingInterval: 200ms, cooldownPeriod: 30s }
`

// TestExternalServerUpsShareReplicas runs two `up` against one external
// server (NATS_URL): they register in the node registry and together run
// the replica count one `up` would run, not twice as many; GET /status
// lists both nodes.
func TestExternalServerUpsShareReplicas(t *testing.T) {
	dir := t.TempDir()
	srv := brokertest.Server(t, filepath.Join(dir, "nats"))
	file := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(file, []byte(sharedMesh), 0o600); err != nil {
		t.Fatal(err)
	}
	// The replicas are stand-ins that only run: the test counts them.
	worker := filepath.Join(dir, "worker.sh")
	if err := os.WriteFile(worker, []byte("#!/bin/sh\nexec sleep 300\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var apps []*app.App
	for i, name := range []string{"node-a", "node-b"} {
		m, err := meshmap.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		env := config.Env{DataDir: filepath.Join(dir, name), HTTPAddr: "127.0.0.1:0",
			ClusterEnv: config.ClusterEnv{ServerName: name}}
		a, err := app.New(ctx, app.Config{Mesh: m, Env: env, NATS: workerenv.NATS{URL: srv.ClientURL()},
			Executable: worker, ShutdownTimeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("up %d: %v", i, err)
		}
		t.Cleanup(a.Close)
		done := make(chan error, 1)
		go func() { done <- a.Serve(ctx) }()
		t.Cleanup(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Error("Serve did not return")
			}
		})
		apps = append(apps, a)
	}
	for _, a := range apps {
		poll.Until(t, 10*time.Second, "both nodes registered", func() bool {
			st := status(t, a.URL())
			return st.Cluster != nil && len(st.Cluster.Nodes) == 2
		})
	}

	// 25 events at lagThreshold 10: one `up` would run 3 replicas.
	js, err := jetstream.New(brokertest.Conn(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		if _, err := js.Publish(ctx, "events.com.example.work", fmt.Appendf(nil, `{"n":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	local := func() (sum int, each []int) {
		for _, a := range apps {
			n := 0
			for _, f := range status(t, a.URL()).Functions {
				n += f.NodeActual
			}
			each = append(each, n)
			sum += n
		}
		return sum, each
	}
	poll.Until(t, 15*time.Second, "3 replicas across the two nodes", func() bool { n, _ := local(); return n == 3 })
	// Held there: neither node runs the whole count on its own.
	time.Sleep(time.Second)
	if n, each := local(); n != 3 || each[0] == 0 || each[1] == 0 {
		t.Fatalf("replicas per node %v (sum %d), want 3 shared by both", each, n)
	}
}

func status(t *testing.T, base string) app.Status {
	t.Helper()
	resp, err := http.Get(base + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st app.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}
