package bench

import (
	"bytes"
	"context"
	"errors"
	"github.com/fnmesh/fnmesh/internal/logtest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// checkResult asserts what every result must hold, whatever the speed of
// the machine.
func checkResult(t *testing.T, r *Result, scenario string) {
	t.Helper()
	if r.Scenario != scenario {
		t.Errorf("Scenario = %q, want %q", r.Scenario, scenario)
	}
	for _, m := range []Measure{r.FnMesh, r.Baseline} {
		if m.Name == "" || m.Count <= 0 || m.Seconds <= 0 || m.Rate <= 0 {
			t.Errorf("%q: count %d, seconds %v, rate %v: want all positive", m.Name, m.Count, m.Seconds, m.Rate)
		}
		if scenario != Scale && !(0 < m.P50Ms && m.P50Ms <= m.P90Ms && m.P90Ms <= m.P99Ms && m.P99Ms <= m.MaxMs) {
			t.Errorf("%q: percentiles %v %v %v %v: want 0 < p50 <= p90 <= p99 <= max", m.Name, m.P50Ms, m.P90Ms, m.P99Ms, m.MaxMs)
		}
	}
	if want := ratio(r.FnMesh.Rate, r.Baseline.Rate); r.Ratio != want || r.Ratio <= 0 {
		t.Errorf("Ratio = %v, want fnmesh/baseline = %v", r.Ratio, want)
	}
	if r.Machine.CPUs <= 0 || r.Machine.GOOS == "" || r.Machine.GOARCH == "" || !strings.HasPrefix(r.Machine.Go, "go") {
		t.Errorf("Machine = %+v", r.Machine)
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{scenario + ":", r.FnMesh.Name, r.Baseline.Name, "ratio fnmesh/baseline"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestRunIngest(t *testing.T) {
	t.Parallel()
	r, err := Run(t.Context(), Ingest, Config{Duration: 200 * time.Millisecond, Concurrency: 4, Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, r, Ingest)
	if r.Params.Duration != "200ms" || r.Params.Broker != "embedded" {
		t.Errorf("Params = %+v", r.Params)
	}
}

func TestRunPipeline(t *testing.T) {
	t.Parallel()
	r, err := Run(t.Context(), Pipeline, Config{Count: 300, Size: 64, Concurrency: 8, Replicas: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, r, Pipeline)
	for _, m := range []Measure{r.FnMesh, r.Baseline} {
		if m.Count != 300 || m.PublishRate <= 0 {
			t.Errorf("%q: count %d, publish rate %v: want 300 and > 0", m.Name, m.Count, m.PublishRate)
		}
	}
	c := r.BaselineConfirmed
	if c == nil || c.Count != 300 || c.Rate <= 0 {
		t.Fatalf("BaselineConfirmed = %+v", c)
	}
	if want := ratio(r.FnMesh.Rate, c.Rate); r.RatioConfirmed != want {
		t.Errorf("RatioConfirmed = %v, want %v", r.RatioConfirmed, want)
	}
	wd := r.BaselineWindowed
	if wd == nil || wd.Count != 300 || wd.Rate <= 0 {
		t.Fatalf("BaselineWindowed = %+v", wd)
	}
	if r.RatioWindowed != ratio(r.FnMesh.Rate, wd.Rate) || r.WindowedRatio != ratio(wd.Rate, r.Baseline.Rate) {
		t.Errorf("RatioWindowed = %v, WindowedRatio = %v", r.RatioWindowed, r.WindowedRatio)
	}
}

// With --history, both sides run and every run record is stored: a
// record the recorders dropped is counted (HistoryLost) and shown.
func TestRunPipelineHistory(t *testing.T) {
	t.Parallel()
	r, err := Run(t.Context(), Pipeline, Config{Count: 300, Size: 64, Concurrency: 8, Replicas: 1, History: true})
	if err != nil {
		t.Fatal(err)
	}
	h := r.FnMeshHistory
	if h == nil || h.Count != 300 || h.Rate <= 0 || r.HistoryRatio != ratio(h.Rate, r.FnMesh.Rate) {
		t.Fatalf("FnMeshHistory = %+v, HistoryRatio %v", h, r.HistoryRatio)
	}
	if h.HistoryLost != 0 {
		t.Errorf("%d run records lost at 300 events", h.HistoryLost)
	}
	h.HistoryLost = 7
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "7 run records lost") {
		t.Errorf("text report does not show the lost records:\n%s", b.String())
	}
}

func TestRunLatency(t *testing.T) {
	t.Parallel()
	r, err := Run(t.Context(), Latency, Config{Rate: 1000, Duration: 300 * time.Millisecond, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, r, Latency)
	for _, m := range []Measure{r.FnMesh, r.Baseline} {
		if m.Count != 300 {
			t.Errorf("%q: count %d, want 300 (rate x duration)", m.Name, m.Count)
		}
	}
	if r.P99Ratio != ratio(r.FnMesh.P99Ms, r.Baseline.P99Ms) || r.P99Ratio <= 0 {
		t.Errorf("P99Ratio = %v", r.P99Ratio)
	}
}

// TestRunExternal runs against a server the benchmark did not start and
// checks it leaves no stream behind.
func TestRunExternal(t *testing.T) {
	t.Parallel()
	srv := brokertest.Server(t, "")
	r, err := Run(t.Context(), Pipeline, Config{Count: 100, Concurrency: 4, NATS: broker.ConnConfig{URL: srv.ClientURL()}})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, r, Pipeline)
	if r.Params.Broker != "external" {
		t.Errorf("Params.Broker = %q, want external", r.Params.Broker)
	}
	js, err := jetstream.New(brokertest.Conn(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	names := js.StreamNames(t.Context())
	for name := range names.Name() {
		t.Errorf("stream %s left on the server", name)
	}
	if err := names.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestRunUnreachableServer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	_, err := Run(ctx, Pipeline, Config{Count: 10, NATS: broker.ConnConfig{URL: "nats://127.0.0.1:1"}})
	if !errors.Is(err, broker.ErrUnavailable) {
		t.Fatalf("Run = %v, want ErrUnavailable", err)
	}
}

// TestRunScale runs the replicas as processes of this test binary (see
// TestMain).
func TestRunScale(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(t.Context(), Scale, Config{
		Count: 300, Work: 2 * time.Millisecond, Concurrency: 2, Replicas: 3,
		WorkerCommand: []string{self}, WorkerEnv: map[string]string{envTestWorker: "1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, r, Scale)
	s := r.Scale
	if s == nil || s.Events != 300 || s.ColdStart <= 0 || s.ScaleUpStart <= 0 || s.DrainScaled <= 0 || s.DrainSingle <= 0 {
		t.Fatalf("Scale = %+v", s)
	}
	if s.MaxReplicas < 2 || s.MaxReplicas > 3 {
		t.Errorf("MaxReplicas = %d, want 2..3 (burst of 300, lag threshold 100, max 3)", s.MaxReplicas)
	}
}

func TestProgress(t *testing.T) {
	var b logtest.Buffer
	p := startProgress(&b, "phase one", 10, 0)
	p.add(4)
	time.Sleep(450 * time.Millisecond)
	p.finish()
	out := b.String()
	if !strings.Contains(out, "\rphase one") || !strings.Contains(out, "4/10") {
		t.Errorf("progress output %q lacks the label and 4/10", out)
	}
	if !strings.HasSuffix(out, "\r") {
		t.Errorf("progress output %q does not end by clearing the line", out)
	}
	var none *progress = startProgress(nil, "x", 1, 0)
	none.add(1) // a nil progress does nothing
	none.finish()
}
