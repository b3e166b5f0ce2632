package telemetry_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/fnmesh/fnmesh/internal/telemetry"
	"github.com/fnmesh/fnmesh/internal/telemetry/telemetrytest"
)

// scrapeText is the Prometheus text exposition of h.
func scrapeText(t *testing.T, h http.Handler) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// TestMetricsPromtool runs `promtool check metrics` (the exposition's
// syntax and the Prometheus naming rules) over the exposition with every
// instrument touched, and checks that no label of the instrumentation
// scope is empty.
func TestMetricsPromtool(t *testing.T) {
	ctx := context.Background()
	tel, err := telemetry.Setup(ctx, "promtool-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	exercise(t, tel)
	body := scrapeText(t, tel.MetricsHandler)

	telemetrytest.CheckMetrics(t, body)
	for _, family := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes", "target_info", "fnmesh_runs_total"} {
		if !bytes.Contains(body, []byte("\n"+family)) {
			t.Errorf("exposition has no %s", family)
		}
	}
	ver := regexp.MustCompile(`otel_scope_version="([^"]*)"`).FindSubmatch(body)
	if ver == nil || string(ver[1]) != telemetry.Version() {
		t.Errorf("otel_scope_version = %q, want %q", ver, telemetry.Version())
	}
	for _, attr := range []string{`service_version="` + telemetry.Version() + `"`, `service_instance_id="`} {
		if !strings.Contains(string(body), attr) {
			t.Errorf("target_info has no %s", attr)
		}
	}
}
