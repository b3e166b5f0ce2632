package app_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/functions"
	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/internal/telemetry/telemetrytest"
)

const metricsMeshYAML = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: metrics-test }
functions:
  - name: f
    run: { command: ["true"] }
    delivery: { retry: 1, backoffDelay: 10ms }
`

// TestUpMetricsOutliveTheWorker runs `up` on loopback with a worker of
// function f served in the test process, sends an event that succeeds, one
// that fails once, and one that fails for good, stops the worker (a
// function scaled to zero) and reads up's /metrics: the counts fed from
// the run history are there, with the publish latency and the Go runtime
// and process metrics, and promtool accepts the exposition.
func TestUpMetricsOutliveTheWorker(t *testing.T) {
	a, file, nc := runUp(t, metricsMeshYAML)
	base := a.URL()
	ctx := t.Context()
	var mu sync.Mutex
	failed := false
	fctx, fcancel := context.WithCancel(ctx)
	fdone := make(chan error, 1)
	go func() {
		fdone <- functions.Serve(fctx, functions.HandlerFunc(func(_ context.Context, e event.Event) ([]event.Event, error) {
			switch e.ID() {
			case "flaky":
				mu.Lock()
				defer mu.Unlock()
				if !failed {
					failed = true
					return nil, errors.New("try again")
				}
			case "bad":
				return nil, functions.Permanent(errors.New("bad order"))
			}
			return nil, nil
		}), functions.WithConn(nc), functions.WithMeshFile(file), functions.WithFunction("f"))
	}()
	postEvent(t, base, "ok", "com.example.ok", `{}`)
	postEvent(t, base, "flaky", "com.example.ok", `{}`)
	postEvent(t, base, "bad", "com.example.ok", `{}`)
	var runs struct{ Runs []struct{ Outcome string } }
	poll.Until(t, 15*time.Second, "four runs recorded", func() bool {
		apiGet(t, base+"/api/v1/runs?function=f", http.StatusOK, &runs)
		return len(runs.Runs) == 4
	})
	fcancel() // the function scales to zero: its worker and its own metrics are gone
	if err := <-fdone; err != nil {
		t.Fatalf("worker: %v", err)
	}

	want := []struct {
		family string
		labels []string
		value  float64
	}{
		{"fnmesh_runs_total", []string{"function", "f", "outcome", "ok"}, 2},
		{"fnmesh_runs_total", []string{"function", "f", "outcome", "retry"}, 1},
		{"fnmesh_runs_total", []string{"function", "f", "outcome", "deadletter"}, 1},
		{"fnmesh_run_duration_seconds", []string{"function", "f", "outcome", "ok"}, 2},
		{"fnmesh_retries_total", []string{"function", "f"}, 1},
		{"fnmesh_deadletters_total", []string{"function", "f"}, 1},
		{"fnmesh_publish_duration_seconds", []string{"outcome", "ok"}, 3},
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
	poll.Until(t, 10*time.Second, "history-fed metrics on up's /metrics", func() bool {
		return telemetrytest.SampleValue(telemetrytest.Scrape(t, h), "fnmesh_runs_total") == 4
	})
	fams := telemetrytest.Scrape(t, h)
	for _, w := range want {
		if got := telemetrytest.SampleValue(fams, w.family, w.labels...); got != w.value {
			t.Errorf("%s%v = %v, want %v", w.family, w.labels, got, w.value)
		}
	}
	for _, family := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if fams[family] == nil {
			t.Errorf("no %s on up's /metrics", family)
		}
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	telemetrytest.CheckMetrics(t, body)
}
