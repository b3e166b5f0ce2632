package telemetry_test

import (
	"context"
	"flag"
	"github.com/fnmesh/fnmesh/internal/telemetry/telemetrytest"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/fnmesh/fnmesh/internal/telemetry"
)

var update = flag.Bool("update", false, "rewrite golden files")

// exercise touches every instrument once.
func exercise(t *testing.T, tel *telemetry.Telemetry) {
	t.Helper()
	ctx := context.Background()
	tel.CountReceived(ctx, "orders", "accepted", 2)
	_, sent := tel.BeforePublish(ctx, testEvent("e-1"), nats.NewMsg("events.x"))
	sent(nil)
	_, done := tel.Deliver(ctx, "fulfil", nil, testEvent("e-1"), 1)
	done("ok", nil)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /events", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) })
	tel.HTTP(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/events", nil))
	tel.Metrics.SetScale("fulfil", 12, 3, 2)
	tel.Metrics.ObserveRun(ctx, "fulfil", "ok", 3*time.Millisecond)
	tel.Metrics.ObserveRun(ctx, "fulfil", "retry", time.Millisecond)
	tel.Metrics.ObserveRun(ctx, "fulfil", "retry", time.Millisecond)
	tel.Metrics.ObserveRun(ctx, "fulfil", "deadletter", time.Millisecond)
}

// TestMetricNamesGolden pins the exposed metric families (names, types
// and help), which dashboards and alerts depend on. Run with -update after
// an intended change.
func TestMetricNamesGolden(t *testing.T) {
	tel, err := telemetry.NewForTest(noop.NewTracerProvider(), nil)
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, tel)
	rec := httptest.NewRecorder()
	tel.MetricsHandler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	var b strings.Builder
	for line := range strings.Lines(rec.Body.String()) {
		if strings.HasPrefix(line, "# HELP fnmesh_") || strings.HasPrefix(line, "# TYPE fnmesh_") {
			b.WriteString(line)
		}
	}
	golden := filepath.Join("testdata", "metrics.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("metric families differ from %s (run with -update after an intended change)\ngot:\n%s\nwant:\n%s", golden, b.String(), want)
	}
}

func TestMetricValues(t *testing.T) {
	tel, err := telemetry.NewForTest(noop.NewTracerProvider(), nil)
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, tel)
	fams := telemetrytest.Scrape(t, tel.MetricsHandler)
	tests := []struct {
		family string
		labels []string
		want   float64
	}{
		{"fnmesh_events_received_total", []string{"trigger", "orders", "outcome", "accepted"}, 2},
		{"fnmesh_events_published_total", []string{"outcome", "ok"}, 1},
		{"fnmesh_events_delivered_total", []string{"function", "fulfil"}, 1},
		{"fnmesh_events_processed_total", []string{"function", "fulfil", "outcome", "ok"}, 1},
		{"fnmesh_handler_duration_seconds", []string{"function", "fulfil", "outcome", "ok"}, 1},
		{"fnmesh_ingest_duration_seconds", []string{"http_route", "/events", "status", "202"}, 1},
		{"fnmesh_function_backlog", []string{"function", "fulfil"}, 12},
		{"fnmesh_function_replicas", []string{"function", "fulfil", "state", "desired"}, 3},
		{"fnmesh_function_replicas", []string{"function", "fulfil", "state", "actual"}, 2},
		{"fnmesh_publish_duration_seconds", []string{"outcome", "ok"}, 1},
		{"fnmesh_runs_total", []string{"function", "fulfil", "outcome", "ok"}, 1},
		{"fnmesh_runs_total", []string{"function", "fulfil", "outcome", "retry"}, 2},
		{"fnmesh_run_duration_seconds", []string{"function", "fulfil", "outcome", "retry"}, 2},
		{"fnmesh_retries_total", []string{"function", "fulfil"}, 2},
		{"fnmesh_deadletters_total", []string{"function", "fulfil"}, 1},
	}
	for _, tt := range tests {
		if got := telemetrytest.SampleValue(fams, tt.family, tt.labels...); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.family, tt.labels, got, tt.want)
		}
	}
}
