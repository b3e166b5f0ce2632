package meshmap_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/workers"
)

func TestFlowSettingsMapped(t *testing.T) {
	m, err := meshmap.Parse("m.yaml", []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
functions:
  - name: limited
    run: { exec: [cat] }
    concurrency: 4
    rateLimit: { events: 100, per: 1s }
  - name: ordered
    run: { exec: [cat] }
    ordering: { key: "CONCAT(source, '/', subject)" }
  - name: batched
    run: { exec: [cat] }
    batch: { maxEvents: 50, maxWait: 200ms }
  - name: limited-batches
    run: { exec: [cat] }
    concurrency: 2
    rateLimit: { events: 1000, per: 1s }
    batch: { maxEvents: 100, maxWait: 100ms }
  - name: limited-order
    run: { exec: [cat] }
    concurrency: 4
    rateLimit: { events: 100, per: 1s }
    ordering: { key: customerid }
  - name: ordered-batches
    run: { exec: [cat] }
    ordering: { key: customerid }
    batch: { maxEvents: 20, maxWait: 50ms }
  - name: all-three
    run: { exec: [cat] }
    rateLimit: { events: 100, per: 1s }
    ordering: { key: customerid }
    batch: { maxEvents: 20, maxWait: 50ms }
`))
	if err != nil {
		t.Fatal(err)
	}
	fn, _ := m.Function("limited")
	w := meshmap.Worker(m, fn)
	if w.RateLimit == nil || *w.RateLimit != (workers.RateLimit{Events: 100, Per: time.Second}) {
		t.Errorf("rate limit = %+v", w.RateLimit)
	}
	// 100/s over concurrency 4 keeps at most 25 replicas busy (1 s per
	// event at most).
	if p := meshmap.Params(fn).WithDefaults(); p.Cap != 25 {
		t.Errorf("cap = %d, want 25", p.Cap)
	}
	fn, _ = m.Function("ordered")
	if w := meshmap.Worker(m, fn); w.Ordering == nil || w.Ordering.Key != "CONCAT(source, '/', subject)" {
		t.Errorf("ordering = %+v", w.Ordering)
	}
	if got := meshmap.FlowSummary(fn); got != "ordered by CONCAT(source, '/', subject)" {
		t.Errorf("summary = %q", got)
	}
	f := meshmap.FunctionsOn(m, "")
	if got := f.Scaler.Functions[0].Flow; got != "rate 100/1s" {
		t.Errorf("scaler flow of limited = %q, want rate 100/1s", got)
	}
	if c := meshmap.FlowCap(fn); c != 1 {
		t.Errorf("ordered cap = %d, want 1 (one replica receives)", c)
	}
	fn, _ = m.Function("batched")
	if w := meshmap.Worker(m, fn); w.Batch == nil || *w.Batch != (workers.Batch{MaxEvents: 50, MaxWait: 200 * time.Millisecond}) {
		t.Errorf("batch = %+v", w.Batch)
	}
	if got := meshmap.FlowSummary(fn); got != "batch 50/200ms" {
		t.Errorf("summary = %q", got)
	}
	// 1000/s over 2 batches of 100 in flight: 5 replicas.
	fn, _ = m.Function("limited-batches")
	if w := meshmap.Worker(m, fn); w.RateLimit == nil || w.Batch == nil {
		t.Errorf("limited batches: rate limit %+v, batch %+v", w.RateLimit, w.Batch)
	}
	if c := meshmap.FlowCap(fn); c != 5 {
		t.Errorf("limited batches cap = %d, want 5 (1000/s over concurrency 2 x maxEvents 100)", c)
	}
	if got := meshmap.FlowSummary(fn); got != "rate 1000/1s, batch 100/100ms" {
		t.Errorf("summary = %q", got)
	}
	fn, _ = m.Function("limited-order")
	if w := meshmap.Worker(m, fn); w.RateLimit == nil || w.Ordering == nil {
		t.Errorf("limited order: rate limit %+v, ordering %+v", w.RateLimit, w.Ordering)
	}
	if c := meshmap.FlowCap(fn); c != 1 {
		t.Errorf("limited order cap = %d, want 1 (one replica receives)", c)
	}
	fn, _ = m.Function("ordered-batches")
	if w := meshmap.Worker(m, fn); w.Ordering == nil || w.Batch == nil {
		t.Errorf("ordered batches: ordering %+v, batch %+v", w.Ordering, w.Batch)
	}
	if c := meshmap.FlowCap(fn); c != 1 {
		t.Errorf("ordered batches cap = %d, want 1 (one replica receives)", c)
	}
	fn, _ = m.Function("all-three")
	if c := meshmap.FlowCap(fn); c != 1 {
		t.Errorf("all three cap = %d, want 1 (one replica receives)", c)
	}
	if got := meshmap.FlowSummary(fn); got != "rate 100/1s, ordered by customerid, batch 20/50ms" {
		t.Errorf("summary = %q", got)
	}
}

func TestFlowRulesHavePositions(t *testing.T) {
	_, err := meshmap.Parse("m.yaml", []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
functions:
  - name: a
    run: { exec: [cat] }
    rateLimit: { events: 0, per: 1s }
  - name: b
    run: { exec: [cat] }
    rateLimit: { events: 1, per: 1s }
    ordering:
      key: "CONCAT(source"
    batch: { maxEvents: 10, maxWait: 1s }
  - name: c
    run: { exec: [cat] }
    batch: { maxEvents: 0, maxWait: 2m }
`))
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		"m.yaml:6:26: functions[0].rateLimit.events: must be at least 1",
		"m.yaml:11:12: functions[1].ordering.key: must be an attribute name or a CloudEvents SQL expression: column 14: mismatched input '<EOF>' expecting {')', ','}",
		"m.yaml:15:25: functions[2].batch.maxEvents: must be between 1 and 10000",
		"m.yaml:15:37: functions[2].batch.maxWait: must be between 1ms and 1m",
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
