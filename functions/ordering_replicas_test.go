//go:build unix

package functions

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
)

// The ordering suite: events over orderKeys subjects, two replica
// processes of a function ordered by subject.
const (
	orderEvents = 600
	orderKeys   = 8
)

// orderedMeshYAML is the mesh of the suite; flow is added to the
// function's settings (a batch, say).
func orderedMeshYAML(flow string) string {
	return `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: test }
streams:
  - name: EVENTS
    subjects: ["events.>"]
functions:
  - name: ordered
    run: { command: ["ordered"] }
    startFrom: all
    concurrency: 4
    ackWait: 2s
    timeout: 10s
    ordering: { key: subject }
` + flow
}

// TestOrderingReplicas runs two replica processes of an ordered function
// and, in the middle, (a) kills the receiving one with SIGKILL or (b)
// restarts the broker. Every event is handled, no two runs of one key
// overlap (across the processes), and each key's events are first run in
// stream order.
func TestOrderingReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process suite: skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "ordered")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/ordered").CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/ordered: %v\n%s", err, out)
	}
	orderingScenarios(t, bin, "")
}

// TestOrderingBatchReplicas is TestOrderingReplicas for ordered batches
// (at most one event per key in a batch).
func TestOrderingBatchReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process suite: skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "ordered")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/ordered").CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/ordered: %v\n%s", err, out)
	}
	orderingScenarios(t, bin, "    batch: { maxEvents: 5, maxWait: 50ms }\n")
}

// orderingScenarios runs the kill and the broker restart scenarios.
func orderingScenarios(t *testing.T, bin, flow string) {
	t.Run("sigkill", func(t *testing.T) {
		r := newOrderRun(t, bin, flow)
		r.start(2)
		victim := r.waitReceiver(100)
		killed := time.Now().UnixNano()
		if err := syscall.Kill(victim.pid(), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := victim.wait(10 * time.Second); err == nil {
			t.Fatal("the killed replica exited cleanly")
		}
		r.waitAll(90 * time.Second)
		runs := r.runs(map[int]int64{victim.pid(): killed})
		checkOrderedRuns(t, runs)
		var after int
		for _, ru := range runs {
			if ru.pid != victim.pid() && ru.begin > killed {
				after++
			}
		}
		if after == 0 {
			t.Error("no event handled by the other replica after the kill")
		}
		t.Logf("victim handled %d runs before the kill; the standby %d after", countPid(runs, victim.pid()), after)
		r.stopAll()
	})
	t.Run("broker restart", func(t *testing.T) {
		r := newOrderRun(t, bin, flow)
		r.start(2)
		r.waitReceiver(100)
		r.restartServer()
		r.waitAll(90 * time.Second)
		checkOrderedRuns(t, r.runs(nil))
		r.stopAll()
	})
}

func countPid(runs []orderedRun, pid int) int {
	n := 0
	for _, r := range runs {
		if r.pid == pid {
			n++
		}
	}
	return n
}

// orderRun is one scenario: a restartable server, the mesh file and the
// replica processes.
type orderRun struct {
	t       *testing.T
	bin     string
	srv     *embedded.Server
	srvCfg  embedded.Config
	records string
	env     []string
	procs   []*replica
}

func newOrderRun(t *testing.T, bin, flow string) *orderRun {
	dir := t.TempDir()
	cfg := embedded.Config{DataDir: filepath.Join(dir, "data"), Port: brokertest.FreePort(t)}
	srv, err := embedded.Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &orderRun{t: t, bin: bin, srv: srv, srvCfg: cfg, records: filepath.Join(dir, "records")}
	t.Cleanup(func() {
		r.killAll()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.srv.Shutdown(ctx)
	})
	meshFile := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(meshFile, []byte(orderedMeshYAML(flow)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(r.records, 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := meshmap.Load(meshFile)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, brokertest.Conn(t, srv), m)
	for i := range orderEvents {
		e := newTestEvent("/test/ordered", strconv.Itoa(i), "com.example.test.ordered")
		e.SetSubject("k" + strconv.Itoa(i%orderKeys))
		if _, err := c.Publish(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	r.env = append(os.Environ(),
		"NATS_URL="+srv.ClientURL(),
		"FNMESH_FILE="+meshFile,
		"FNMESH_FUNCTION=ordered",
		"FNMESH_LOG_LEVEL=warn",
		"FNMESH_SHUTDOWN_TIMEOUT=20s",
		"FNMESH_HEALTH_ADDR=",
		"FNMESH_TEST_RECORD_DIR="+r.records,
		"FNMESH_TEST_SLEEP=25ms",
	)
	return r
}

func (r *orderRun) start(n int) {
	r.t.Helper()
	for range n {
		p := &replica{done: make(chan struct{})}
		p.cmd = exec.Command(r.bin)
		p.cmd.Env = r.env
		p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
		if err := p.cmd.Start(); err != nil {
			r.t.Fatal(err)
		}
		go func() { p.err = p.cmd.Wait(); close(p.done) }()
		r.procs = append(r.procs, p)
	}
}

// waitReceiver waits until one replica has handled n events and returns
// it; the other must have handled none (it stands by).
func (r *orderRun) waitReceiver(n int) *replica {
	r.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		byPid := map[int]int{}
		for _, ru := range r.runs(nil) {
			byPid[ru.pid]++
		}
		for _, p := range r.procs {
			if byPid[p.pid()] >= n {
				if len(byPid) > 1 {
					r.t.Errorf("runs per replica %v: more than one replica received at once", byPid)
				}
				return p
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.t.Fatal("no replica handled events")
	return nil
}

// restartServer stops the broker and starts it again on the same port
// and store.
func (r *orderRun) restartServer() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil {
		r.t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	srv, err := embedded.Start(r.srvCfg, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	r.srv = srv
}

// waitAll waits until every event has an ended run and the consumer
// holds nothing.
func (r *orderRun) waitAll(limit time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(limit)
	nc := brokertest.Conn(r.t, r.srv)
	js, err := jetstream.New(nc)
	if err != nil {
		r.t.Fatal(err)
	}
	for {
		ended := map[string]bool{}
		for _, ru := range r.runs(nil) {
			if ru.ended {
				ended[ru.id] = true
			}
		}
		if len(ended) >= orderEvents {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			cons, err := js.Consumer(ctx, "EVENTS", "ordered")
			cancel()
			if err == nil {
				if info := cons.CachedInfo(); info.NumPending == 0 && info.NumAckPending == 0 {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			var out []string
			for _, p := range r.procs {
				out = append(out, p.output())
			}
			r.t.Fatalf("after %s: %d of %d events handled\n%s", limit, len(ended), orderEvents, strings.Join(out, "\n---\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *orderRun) stopAll() {
	r.t.Helper()
	for _, p := range r.procs {
		select {
		case <-p.done:
			continue
		default:
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		if err := p.wait(30 * time.Second); err != nil {
			r.t.Errorf("replica %d: exit after SIGTERM: %v\n%s", p.pid(), err, p.output())
		}
	}
}

func (r *orderRun) killAll() {
	for _, p := range r.procs {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

// orderedRun is one handler run read from the records.
type orderedRun struct {
	key, id    string
	n          int
	pid        int
	begin, end int64
	ended      bool
}

// runs reads the records. A run without an end ran until its process was
// killed: its end is killedAt[pid] (now when not given).
func (r *orderRun) runs(killedAt map[int]int64) []orderedRun {
	r.t.Helper()
	files, err := filepath.Glob(filepath.Join(r.records, "*.log"))
	if err != nil {
		r.t.Fatal(err)
	}
	var out []orderedRun
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			r.t.Fatal(err)
		}
		open := map[string]int{} // id -> index in out
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			p := strings.Split(sc.Text(), "|")
			if len(p) != 5 {
				continue // cut short by SIGKILL
			}
			pid, _ := strconv.Atoi(p[3])
			at, _ := strconv.ParseInt(p[4], 10, 64)
			switch p[0] {
			case "B":
				n, _ := strconv.Atoi(p[2])
				open[p[2]] = len(out)
				out = append(out, orderedRun{key: p[1], id: p[2], n: n, pid: pid, begin: at, end: time.Now().UnixNano()})
			case "E":
				if i, ok := open[p[2]]; ok {
					out[i].end, out[i].ended = at, true
					delete(open, p[2])
				}
			}
		}
		_ = f.Close()
		for _, i := range open {
			if k, ok := killedAt[out[i].pid]; ok {
				out[i].end = k
			}
		}
	}
	return out
}

// checkOrderedRuns fails t when two runs of one key overlap, when a key's
// events were first run out of stream order, or when an event never ended.
func checkOrderedRuns(t *testing.T, runs []orderedRun) {
	t.Helper()
	byKey := map[string][]orderedRun{}
	ended := map[string]bool{}
	for _, r := range runs {
		byKey[r.key] = append(byKey[r.key], r)
		ended[r.id] = ended[r.id] || r.ended
	}
	if len(ended) != orderEvents {
		t.Errorf("%d events run, want %d", len(ended), orderEvents)
	}
	for i := range orderEvents {
		if !ended[strconv.Itoa(i)] {
			t.Errorf("event %d never handled to the end", i)
		}
	}
	reruns := 0
	for key, rs := range byKey {
		slices.SortFunc(rs, func(a, b orderedRun) int { return int(a.begin - b.begin) })
		var lastEnd int64
		var lastPid int
		seen := map[int]bool{}
		prev := -1
		for _, r := range rs {
			if r.begin < lastEnd {
				t.Errorf("key %s: event %d (pid %d) began %s before the run before it (pid %d) ended",
					key, r.n, r.pid, time.Duration(lastEnd-r.begin), lastPid)
			}
			lastEnd, lastPid = max(lastEnd, r.end), r.pid
			if seen[r.n] {
				reruns++
				continue
			}
			seen[r.n] = true
			if r.n < prev {
				t.Errorf("key %s: event %d first run after event %d", key, r.n, prev)
			}
			prev = r.n
		}
	}
	t.Logf("%d runs of %d events over %d keys; %d runs repeated an event (redelivered after the kill or restart)",
		len(runs), len(ended), len(byKey), reruns)
}
