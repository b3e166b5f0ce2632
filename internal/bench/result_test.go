package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixedMachine keeps golden files independent of the machine.
var fixedMachine = Machine{CPUs: 2, GOMAXPROCS: 2, CPUModel: "Test CPU", GOOS: "linux", GOARCH: "amd64", Go: "go1.26.8"}

// goldenResults are one result of each scenario with made-up figures.
func goldenResults() map[string]*Result {
	rs := map[string]*Result{
		Ingest: {
			Scenario: Ingest,
			Params:   params(Ingest, Defaults(Ingest, Config{})),
			FnMesh:   Measure{Name: "fnmesh ingest (triggers.Ingest)", Count: 40000, Seconds: 5, Rate: 8000, P50Ms: 2.5, P90Ms: 6.25, P99Ms: 15.125, MaxMs: 40, CPUUsPerEvent: 110.5},
			Baseline: Measure{Name: "publish-only net/http handler", Count: 50000, Seconds: 5, Rate: 10000, P50Ms: 2, P90Ms: 5, P99Ms: 12, MaxMs: 31.5, CPUUsPerEvent: 95},
		},
		Pipeline: {
			Scenario:          Pipeline,
			Params:            params(Pipeline, Defaults(Pipeline, Config{NATS: natsURL("nats://127.0.0.1:4222")})),
			FnMesh:            Measure{Name: "fnmesh", Count: 50000, Seconds: 2, Rate: 25000, PublishRate: 35000.4, P50Ms: 0.7, P90Ms: 1.3, P99Ms: 5, MaxMs: 10, CPUUsPerEvent: 14.2, PublishCPUUsPerEvent: 40, WritesPerEvent: 0.25},
			Baseline:          Measure{Name: "nats.go", Count: 50000, Seconds: 0.4, Rate: 125000, PublishRate: 45000, P50Ms: 0.5, P90Ms: 1, P99Ms: 4.75, MaxMs: 12.5, CPUUsPerEvent: 9.1, PublishCPUUsPerEvent: 35.5, WritesPerEvent: 0.015},
			BaselineConfirmed: &Measure{Name: "nats.go confirmed", Count: 50000, Seconds: 1.25, Rate: 40000, CPUUsPerEvent: 20, WritesPerEvent: 0.99},
			BaselineWindowed:  &Measure{Name: "nats.go windowed", Count: 50000, Seconds: 0.625, Rate: 80000, CPUUsPerEvent: 11, WritesPerEvent: 0.12},
		},
		Latency: {
			Scenario: Latency,
			Params:   params(Latency, Defaults(Latency, Config{})),
			FnMesh:   Measure{Name: "fnmesh", Count: 25000, Seconds: 5, Rate: 5000, P50Ms: 0.45, P90Ms: 0.9, P99Ms: 3.5, MaxMs: 13, CPUUsPerEvent: 30},
			Baseline: Measure{Name: "nats.go", Count: 25000, Seconds: 5, Rate: 5000, P50Ms: 0.2, P90Ms: 0.45, P99Ms: 1.75, MaxMs: 9, CPUUsPerEvent: 25},
		},
		Scale: {
			Scenario: Scale,
			Params:   params(Scale, Defaults(Scale, Config{})),
			FnMesh:   Measure{Name: "scaled drain", Count: 2000, Seconds: 1, Rate: 2000},
			Baseline: Measure{Name: "one fixed replica", Count: 2000, Seconds: 3.2, Rate: 625},
			Scale: &ScaleReport{Function: "bench-scale", Events: 2000, ColdStart: 290 * time.Millisecond,
				ScaleUpStart: 250 * time.Millisecond, ScaleUpFirstAck: 292 * time.Millisecond, DrainScaled: time.Second,
				MaxReplicas: 4, DrainSingle: 3200 * time.Millisecond},
		},
	}
	for _, r := range rs {
		r.Machine = fixedMachine
		r.finish()
	}
	return rs
}

func natsURL(u string) broker.ConnConfig { return broker.ConnConfig{URL: u} }

func TestWriteTextGolden(t *testing.T) {
	for name, r := range goldenResults() {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := r.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", name+".golden"), b.Bytes())
		})
	}
}

func TestJSONGolden(t *testing.T) {
	for name, r := range goldenResults() {
		t.Run(name, func(t *testing.T) {
			b, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", name+".json.golden"), append(b, '\n'))
		})
	}
}

func TestRatios(t *testing.T) {
	rs := goldenResults()
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"ingest ratio", rs[Ingest].Ratio, 0.8},
		{"pipeline ratio", rs[Pipeline].Ratio, 0.2},
		{"pipeline ratio to confirmed acks", rs[Pipeline].RatioConfirmed, 0.625},
		{"latency p50 delta", rs[Latency].P50DeltaMs, 0.25},
		{"latency p99 ratio", rs[Latency].P99Ratio, 2},
		{"scale speedup", rs[Scale].Ratio, 3.2},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// golden compares got with the file, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
