package bench_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/fnmesh/fnmesh/internal/bench"
)

// Run a small pipeline comparison on an embedded broker. The figures
// depend on the machine; the structure does not.
func ExampleRun() {
	res, err := bench.Run(context.Background(), bench.Pipeline, bench.Config{Count: 200, Concurrency: 8})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Scenario, res.FnMesh.Count, res.Baseline.Count)
	fmt.Println("rates measured:", res.FnMesh.Rate > 0 && res.Baseline.Rate > 0)
	fmt.Println("ratio is fnmesh/baseline:", res.Ratio > 0)
	// Output:
	// pipeline 200 200
	// rates measured: true
	// ratio is fnmesh/baseline: true
}

// Defaults fills what a run leaves unset with the scenario's defaults.
func ExampleDefaults() {
	cfg := bench.Defaults(bench.Latency, bench.Config{Rate: 2000})
	fmt.Println(cfg.Rate, cfg.Duration, cfg.Size, cfg.Concurrency, cfg.Replicas)
	// Output: 2000 5s 256 32 1
}

// WriteText prints a result as `fnmesh bench` does.
func ExampleResult_WriteText() {
	res := &bench.Result{
		Scenario: bench.Latency,
		Params:   bench.Params{Size: 256, Duration: "5s", Concurrency: 32, Replicas: 1, Rate: 5000, Broker: "embedded"},
		FnMesh:   bench.Measure{Name: "fnmesh", Count: 25000, Seconds: 5, Rate: 5000, P50Ms: 0.45, P90Ms: 0.9, P99Ms: 3.5, MaxMs: 13, CPUUsPerEvent: 30},
		Baseline: bench.Measure{Name: "nats.go", Count: 25000, Seconds: 5, Rate: 5000, P50Ms: 0.2, P90Ms: 0.45, P99Ms: 1.75, MaxMs: 9, CPUUsPerEvent: 20},
		Ratio:    1, P50DeltaMs: 0.25, P99Ratio: 2, CPURatio: 1.5,
		Machine: bench.Machine{CPUs: 2, GOMAXPROCS: 2, GOOS: "linux", GOARCH: "amd64", Go: "go1.26.8"},
	}
	_ = res.WriteText(os.Stdout)
	// Output:
	// latency: 5000 events/s for 5s, 256 B, 1 replica(s) x concurrency 32, embedded broker
	// machine: 2 CPUs, GOMAXPROCS 2, linux/amd64, go1.26.8
	//
	//            events/s  p50 ms  p90 ms  p99 ms  max ms  cpu µs/ev
	//   nats.go     5,000   0.200   0.450   1.750   9.000       20.0
	//   fnmesh      5,000   0.450   0.900   3.500  13.000       30.0
	//
	// ratio fnmesh/baseline: 1.00x   cpu per event fnmesh/baseline: 1.50x   p50 delta: +0.250 ms   p99 ratio: 2.00x
}

// A program given as Config.WorkerCommand serves the scale scenario's
// replicas with ServeWorker; `fnmesh bench worker` is such a program.
func ExampleServeWorker() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	// Outside a replica the environment lacks what the process runtime sets.
	err := bench.ServeWorker(ctx, func(string) string { return "" }, nil)
	fmt.Println(err)
	// Output: bench worker: bad environment: FNMESH_FUNCTION: must be set
}
