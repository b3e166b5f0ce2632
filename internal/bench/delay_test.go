package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestRunDelay(t *testing.T) {
	t.Parallel()
	r, err := Run(t.Context(), Delay, Config{Count: 300, Duration: 2 * time.Second, Concurrency: 4, Size: 64})
	if err != nil {
		t.Fatal(err)
	}
	if r.Scenario != Delay || r.FnMesh.Count != 300 || r.Baseline.Count != 300 || r.Params.Count != 300 || r.Params.Duration != "2s" {
		t.Fatalf("result %+v", r)
	}
	// Every event arrives at or after its deliverat: none early, and
	// the lateness percentiles are ordered.
	if r.Early != 0 || !(0 < r.FnMesh.P50Ms && r.FnMesh.P50Ms <= r.FnMesh.P99Ms && r.FnMesh.P99Ms <= r.FnMesh.MaxMs) {
		t.Errorf("early %d, lateness %v %v %v", r.Early, r.FnMesh.P50Ms, r.FnMesh.P99Ms, r.FnMesh.MaxMs)
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "lateness: p50") {
		t.Errorf("report:\n%s", b.String())
	}
}

func TestRunIngestBatch(t *testing.T) {
	t.Parallel()
	r, err := Run(t.Context(), Ingest, Config{Duration: 400 * time.Millisecond, Concurrency: 2, Size: 64, Batch: 50})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, r, Ingest)
	// Batches count events: a multiple of the batch size.
	if r.Params.Batch != 50 || r.FnMesh.Count%50 != 0 {
		t.Errorf("batch %d, fnmesh count %d", r.Params.Batch, r.FnMesh.Count)
	}
	if _, err := Run(t.Context(), Ingest, Config{Batch: -1}); err == nil || !strings.Contains(err.Error(), "--batch") {
		t.Errorf("negative batch: %v", err)
	}
}
