//go:build unix

package process_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/app/meshmap/meshmaptest"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/logtest"
	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/process"
	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// buildTestWorker compiles testdata/worker into dir.
func buildTestWorker(t testing.TB, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(dir, "worker")
	cmd := exec.Command(goBin, "build", "-o", out, "./testdata/worker")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/worker: %v\n%s", err, b)
	}
	return out
}

// procEnv is an embedded broker, a mesh file whose functions run the test
// worker as processes, and a process runtime for them.
type procEnv struct {
	dir  string // mesh file directory
	out  string // WORKER_OUT_DIR
	m    *config.Mesh
	srv  *embedded.Server
	c    *broker.Client
	rt   *process.Runtime
	logs *logtest.Buffer
}

// newProcEnv writes a mesh file with the given functions (YAML list items,
// where {{worker}} and {{out}} stand for the worker binary and the output
// directory).
func newProcEnv(t testing.TB, worker, functionsYAML string) *procEnv {
	t.Helper()
	e := &procEnv{dir: t.TempDir(), logs: &logtest.Buffer{}}
	e.out = filepath.Join(e.dir, "out")
	if err := os.Mkdir(e.out, 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := "apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\nfunctions:\n" +
		strings.NewReplacer("{{worker}}", worker, "{{out}}", e.out).Replace(functionsYAML)
	file := filepath.Join(e.dir, "mesh.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := meshmap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	e.m = m
	e.srv = brokertest.Server(t, "")
	e.c = meshmaptest.Client(t, e.srv, m)
	e.rt, err = process.New(process.Config{
		Functions: meshmap.FunctionsOn(m, scale.RuntimeProcess).Workloads,
		MeshFile:  m.File, NATS: workerenv.NATS{URL: e.srv.ClientURL()}, StopTimeout: 20 * time.Second,
	}, scale.WithLogger(slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := e.rt.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("runtime log:\n%s", tail(e.logs.String(), 60))
		}
	})
	return e
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// processed reads the worker files: distinct "<source>|<id>" lines, the
// number of lines (duplicates are redeliveries) and the lines of each file
// (one file per worker process that handled an event).
func (e *procEnv) processed(t testing.TB) (distinct map[string]bool, lines int, files map[string]int) {
	t.Helper()
	distinct, files = map[string]bool{}, map[string]int{}
	paths, err := filepath.Glob(filepath.Join(e.out, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			distinct[sc.Text()] = true
			lines++
			files[filepath.Base(p)]++
		}
		f.Close()
	}
	return distinct, lines, files
}

func (e *procEnv) active(t testing.TB, fn string) int {
	reps, err := e.rt.List(context.Background(), fn)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range reps {
		if r.State != scale.ReplicaStopping {
			n++
		}
	}
	return n
}

func (e *procEnv) checkConsumerIdle(t testing.TB, fn string) {
	t.Helper()
	info, err := e.c.ConsumerInfo(context.Background(), "EVENTS", workers.ConsumerName(fn))
	if err != nil {
		t.Fatal(err)
	}
	if info.NumPending != 0 || info.NumAckPending != 0 || info.NumRedelivered != 0 && info.NumAckPending != 0 {
		t.Errorf("consumer %s not idle: pending %d, ack pending %d", fn, info.NumPending, info.NumAckPending)
	}
	n := 0
	if err := e.c.ReadStream(context.Background(), "DEADLETTER", "", func(broker.StoredEvent) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d dead letters, want none", n)
	}
}

func expectAll(source string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s|e-%05d", source, i)
	}
	return out
}

// TestProcessScaling runs the test worker as real processes.
func TestProcessScaling(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs worker processes")
	}
	worker := buildTestWorker(t, t.TempDir())
	t.Run("burst scales up to max and back to zero", func(t *testing.T) { testBurst(t, worker) })
	t.Run("scaling down while busy loses nothing", func(t *testing.T) { testScaleDownBusy(t, worker) })
}

func testBurst(t *testing.T, worker string) {
	const events = 2000
	e := newProcEnv(t, worker, `
  - name: burst
    filters: [{ exact: { type: test.burst } }]
    run: { command: ["{{worker}}"] }
    env: { WORKER_OUT_DIR: "{{out}}", WORKER_SLEEP: 2ms }
    scaling: { minReplicaCount: 0, maxReplicaCount: 4, lagThreshold: 100, cooldownPeriod: 2s, pollingInterval: 200ms }
`)
	var (
		mu        sync.Mutex
		decisions []scale.Decision
	)
	fns := meshmap.FunctionsOn(e.m, scale.RuntimeProcess)
	backlog, err := scale.NewBrokerBacklog(e.c, fns.Consumers)
	if err != nil {
		t.Fatal(err)
	}
	sc := fns.Scaler
	sc.Metrics = func(d scale.Decision) { mu.Lock(); decisions = append(decisions, d); mu.Unlock() }
	s, err := scale.New(backlog, e.rt, sc, scale.WithLogger(slog.New(slog.NewJSONHandler(e.logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	runScaler(t, s)

	// Watch the processes the runtime runs, independently of the decisions.
	watchCtx, stopWatch := context.WithCancel(context.Background())
	watched := make(chan int)
	go func() {
		most := 0
		sample := time.NewTicker(20 * time.Millisecond)
		defer sample.Stop()
		for {
			most = max(most, e.active(t, "burst"))
			select {
			case <-sample.C:
			case <-watchCtx.Done():
				watched <- most
				return
			}
		}
	}()

	poll.Until(t, 5*time.Second, "the consumer", func() bool {
		_, err := e.c.ConsumerInfo(context.Background(), "EVENTS", "burst")
		return err == nil
	})
	if n := e.active(t, "burst"); n != 0 {
		t.Fatalf("%d replicas before any event, want 0", n)
	}
	publishN(t, e.c, "test.burst", "/test/burst", events)
	poll.Until(t, 90*time.Second, "every event processed", func() bool {
		distinct, _, _ := e.processed(t)
		return len(distinct) == events
	})
	poll.Until(t, 30*time.Second, "scale back to zero", func() bool {
		reps, _ := e.rt.List(context.Background(), "burst")
		return len(reps) == 0
	})
	stopWatch()
	most := <-watched

	distinct, lines, files := e.processed(t)
	for _, want := range expectAll("/test/burst", events) {
		if !distinct[want] {
			t.Fatalf("event %s never processed", want)
		}
	}
	t.Logf("%d events, %d handled (%d redelivered), %d worker processes, at most %d at once", events, lines, lines-events, len(files), most)
	if most != 4 {
		t.Errorf("at most %d worker processes at once, want maxReplicaCount 4", most)
	}
	if len(files) < 2 {
		t.Errorf("only %v handled events: the work was not shared", files)
	}
	e.checkConsumerIdle(t, "burst")

	mu.Lock()
	defer mu.Unlock()
	var changes []scale.Decision
	for _, d := range decisions {
		if d.Changed() {
			changes = append(changes, d)
		}
	}
	if len(changes) < 2 {
		t.Fatalf("changes %v: want a scale up and a scale down", changes)
	}
	first, last := changes[0], changes[len(changes)-1]
	if first.From != 0 || !strings.HasPrefix(first.Reason, "activate") {
		t.Errorf("first change %v: want an activation from 0", first)
	}
	maxTo := 0
	for _, d := range changes {
		maxTo = max(maxTo, d.To)
	}
	if maxTo != 4 {
		t.Errorf("the scaler asked for at most %d replicas, want 4", maxTo)
	}
	if last.To != 0 || !strings.HasPrefix(last.Reason, "scale down") {
		t.Errorf("last change %v: want a scale down to 0", last)
	}
	// Every scale down waited for the cooldown: the decisions in the 2s
	// before it held the count.
	for i, d := range decisions {
		if !d.Changed() || d.To > d.From {
			continue
		}
		for _, prev := range decisions[:i] {
			if d.Time.Sub(prev.Time) < 2*time.Second && prev.To != d.From {
				t.Errorf("scale down %v came less than the 2s cooldown after %v", d, prev)
			}
		}
	}
	for _, d := range decisions {
		if d.Err != "" {
			t.Errorf("decision with an error: %v (%s)", d, d.Err)
		}
	}
}

func testScaleDownBusy(t *testing.T, worker string) {
	const events = 300
	e := newProcEnv(t, worker, `
  - name: busy
    filters: [{ exact: { type: test.busy } }]
    run: { command: ["{{worker}}"] }
    concurrency: 4
    env: { WORKER_OUT_DIR: "{{out}}", WORKER_SLEEP: 50ms }
`)
	ctx := context.Background()
	backlog, err := scale.NewBrokerBacklog(e.c, meshmap.FunctionsOn(e.m, scale.RuntimeProcess).Consumers)
	if err != nil {
		t.Fatal(err)
	}
	if err := backlog.EnsureConsumer(ctx, "busy"); err != nil {
		t.Fatal(err)
	}
	if err := e.rt.Scale(ctx, "busy", 3); err != nil {
		t.Fatal(err)
	}
	publishN(t, e.c, "test.busy", "/test/busy", events)
	poll.Until(t, 30*time.Second, "three workers busy", func() bool {
		_, _, files := e.processed(t)
		return len(files) == 3
	})
	handledBefore, _, _ := e.processed(t)
	if len(handledBefore) > events*3/4 {
		t.Fatalf("%d of %d events handled before the scale down: too late to test it", len(handledBefore), events)
	}
	if err := e.rt.Scale(ctx, "busy", 1); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "two workers stopped", func() bool {
		reps, _ := e.rt.List(ctx, "busy")
		return len(reps) == 1 && reps[0].ID == "busy-1"
	})
	for _, id := range []string{"busy-2", "busy-3"} {
		if !has(t, e.logs, map[string]any{"msg": "worker stopped", "replica": id, "exit": "exit status 0"}) {
			t.Errorf("%s did not drain and exit 0", id)
		}
	}
	if has(t, e.logs, map[string]any{"msg": "worker did not exit in time, killing its process group"}) {
		t.Error("a draining worker was killed")
	}
	poll.Until(t, 60*time.Second, "every event processed", func() bool {
		distinct, _, _ := e.processed(t)
		return len(distinct) == events
	})
	distinct, lines, _ := e.processed(t)
	for _, want := range expectAll("/test/busy", events) {
		if !distinct[want] {
			t.Fatalf("event %s lost", want)
		}
	}
	t.Logf("%d events, %d handled", events, lines)
	poll.Until(t, 10*time.Second, "idle consumer", func() bool {
		info, err := e.c.ConsumerInfo(ctx, "EVENTS", "busy")
		return err == nil && info.NumAckPending == 0 && info.NumPending == 0
	})
	e.checkConsumerIdle(t, "busy")
}

// runScaler runs s until the test ends.
func runScaler(t *testing.T, s *scale.Scaler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil on cancel", err)
		}
	})
}

// publishN stores n events of type typ with ids "e-00000"... from source.
func publishN(t *testing.T, c *broker.Client, typ, source string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				e := event.New()
				e.SetID(fmt.Sprintf("e-%05d", i))
				e.SetType(typ)
				e.SetSource(source)
				if _, err := c.Publish(ctx, &e); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("publish: %v", err)
	}
}
