//go:build unix

package functions

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/logtest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
)

// The multi-process suite: 10,000 events, three replica processes of the
// same function sharing its durable consumer.
const (
	replicaEvents = 10000
	replicaCount  = 3
)

func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process suite: skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "worker")
	build := exec.Command("go", "build", "-o", bin, "./testdata/worker")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/worker: %v\n%s", err, out)
	}

	// (a) Nothing fails: each event is handled exactly once across replicas.
	t.Run("exactly once", func(t *testing.T) {
		r := newReplicaRun(t, bin, "once", "2s", "")
		r.start(replicaCount)
		r.waitSettled(60 * time.Second)
		r.stopAll()
		rec := r.records()
		rec.requireAll(t)
		if d := rec.duplicates(); d != 0 {
			t.Errorf("%d events handled more than once, want exactly once", d)
		}
		for _, p := range r.procs {
			if rec.byPid[p.pid()] == 0 {
				t.Errorf("replica %d handled nothing: the consumer was not shared", p.pid())
			}
		}
	})

	// (b) SIGKILL one replica mid-run: every event is still handled (what the
	// killed replica held is redelivered after the ack wait).
	t.Run("sigkill", func(t *testing.T) {
		r := newReplicaRun(t, bin, "kill", "2s", "5ms")
		r.start(replicaCount)
		victim := r.procs[0]
		r.waitHandled(victim, 200, 60*time.Second)
		if err := syscall.Kill(victim.pid(), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := victim.wait(10 * time.Second); err == nil {
			t.Fatal("the killed replica exited cleanly")
		}
		if n := r.records().unique(); n >= replicaEvents {
			t.Fatalf("all %d events were handled before the kill; the scenario did not run", n)
		}
		r.waitSettled(60 * time.Second)
		r.stopAll()
		rec := r.records()
		rec.requireAll(t)
		t.Logf("killed replica handled %d events; %d events were handled twice (at least once allows it)",
			rec.byPid[victim.pid()], rec.duplicates())
	})

	// (c) SIGTERM one replica while its handlers run: it finishes what it
	// holds, exits 0, and nothing is lost or handled twice.
	t.Run("sigterm drains", func(t *testing.T) {
		r := newReplicaRun(t, bin, "term", "5s", "10ms")
		r.start(replicaCount)
		victim := r.procs[0]
		r.waitHandled(victim, 100, 60*time.Second)
		signalled := time.Now().UnixNano()
		if err := syscall.Kill(victim.pid(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := victim.wait(30 * time.Second); err != nil {
			t.Fatalf("the replica stopped with SIGTERM exited with %v, want status 0\n%s", err, victim.output())
		}
		r.waitSettled(60 * time.Second)
		r.stopAll()
		rec := r.records()
		rec.requireAll(t)
		if d := rec.dupByPid[victim.pid()]; d != 0 {
			t.Errorf("the drained replica handled %d events twice", d)
		}
		if d := rec.duplicates(); d != 0 {
			t.Errorf("%d events handled twice after a graceful stop", d)
		}
		if rec.lastByPid[victim.pid()] <= signalled {
			t.Error("the replica recorded nothing after SIGTERM: its in-flight events were not finished")
		}
	})
}

// replicaRun is one scenario: a server, a stream holding the events, a
// mesh file and the replica processes.
type replicaRun struct {
	t      *testing.T
	srv    *embedded.Server
	js     jetstream.JetStream
	bin    string
	dir    string
	source string
	env    []string
	procs  []*replica
}

func newReplicaRun(t *testing.T, bin, name, ackWait, sleep string) *replicaRun {
	srv := brokertest.Server(t, "")
	nc := brokertest.Conn(t, srv)
	m := testMesh(t, "record", ackWait, 8)
	c := newClient(t, nc, m)
	dir := t.TempDir()
	meshFile := filepath.Join(dir, "mesh.yaml")
	// The replicas load the same mesh from a file.
	if err := os.WriteFile(meshFile, []byte(meshYAML("record", ackWait, 8)), 0o644); err != nil {
		t.Fatal(err)
	}
	records := filepath.Join(dir, "records")
	if err := os.Mkdir(records, 0o755); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	r := &replicaRun{t: t, srv: srv, js: js, bin: bin, dir: records, source: "/test/" + name,
		env: append(os.Environ(),
			"NATS_URL="+srv.ClientURL(),
			"FNMESH_FILE="+meshFile,
			"FNMESH_FUNCTION=record",
			"FNMESH_LOG_LEVEL=warn",
			"FNMESH_SHUTDOWN_TIMEOUT=20s",
			"FNMESH_HEALTH_ADDR=",
			"FNMESH_TEST_RECORD_DIR="+records,
			"FNMESH_TEST_SLEEP="+sleep,
		)}
	r.publish(c)
	t.Cleanup(r.killAll)
	return r
}

// publish stores the scenario's events, several publishers at once.
func (r *replicaRun) publish(c *broker.Client) {
	r.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < replicaEvents; i += 16 {
				e := newTestEvent(r.source, strconv.Itoa(i), "com.example.test.record")
				if _, err := c.Publish(context.Background(), e); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		r.t.Fatal(err)
	}
}

func (r *replicaRun) start(n int) {
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

// waitHandled waits until p has handled at least n events and every other
// replica has handled some (all are consuming).
func (r *replicaRun) waitHandled(p *replica, n int, limit time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		rec := r.records()
		ok := rec.byPid[p.pid()] >= n
		for _, q := range r.procs {
			ok = ok && rec.byPid[q.pid()] > 0
		}
		if ok {
			return
		}
		r.checkRunning()
		if time.Now().After(deadline) {
			r.t.Fatalf("replica %d handled %d events after %s, want %d (per replica: %v)", p.pid(), rec.byPid[p.pid()], limit, n, rec.byPid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitSettled waits until every event was handled and the consumer holds
// nothing pending or unacknowledged.
func (r *replicaRun) waitSettled(limit time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if r.records().unique() >= replicaEvents {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			cons, err := r.js.Consumer(ctx, "EVENTS", "record")
			cancel()
			if err == nil {
				info := cons.CachedInfo()
				if info.NumPending == 0 && info.NumAckPending == 0 {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			rec := r.records()
			r.t.Fatalf("after %s: %d of %d events handled (per replica: %v)", limit, rec.unique(), replicaEvents, rec.byPid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkRunning fails the test when a replica that was not stopped exited.
func (r *replicaRun) checkRunning() {
	r.t.Helper()
	for _, p := range r.procs {
		select {
		case <-p.done:
			if !p.stopped {
				r.t.Fatalf("replica %d exited on its own: %v\n%s", p.pid(), p.err, p.output())
			}
		default:
		}
	}
}

// stopAll sends SIGTERM to the replicas still running and requires each to
// exit 0.
func (r *replicaRun) stopAll() {
	r.t.Helper()
	var running []*replica
	for _, p := range r.procs {
		select {
		case <-p.done:
			continue
		default:
		}
		p.stopped = true
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		running = append(running, p)
	}
	for _, p := range running {
		if err := p.wait(30 * time.Second); err != nil {
			r.t.Errorf("replica %d: exit after SIGTERM: %v\n%s", p.pid(), err, p.output())
		}
	}
}

// killAll kills whatever replica of this run is still running.
func (r *replicaRun) killAll() {
	for _, p := range r.procs {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

// replica is one worker process.
type replica struct {
	cmd     *exec.Cmd
	out     logtest.Buffer
	done    chan struct{}
	err     error
	stopped bool
}

func (p *replica) pid() int { return p.cmd.Process.Pid }

func (p *replica) output() string { return p.out.String() }

// wait waits for the process to exit and returns its exit error.
func (p *replica) wait(limit time.Duration) error {
	p.stopped = true
	select {
	case <-p.done:
		return p.err
	case <-time.After(limit):
		return errors.New("did not exit within " + limit.String())
	}
}

// records is what the replicas wrote: how often each event was handled,
// by whom.
type records struct {
	source    string
	count     map[string]int // "source|id" -> times handled
	byPid     map[int]int
	dupByPid  map[int]int // events one replica handled more than once
	lastByPid map[int]int64
}

func (r *replicaRun) records() records {
	r.t.Helper()
	rec := records{source: r.source, count: map[string]int{}, byPid: map[int]int{}, dupByPid: map[int]int{}, lastByPid: map[int]int64{}}
	files, err := filepath.Glob(filepath.Join(r.dir, "*.log"))
	if err != nil {
		r.t.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			r.t.Fatal(err)
		}
		seen := map[string]bool{}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			parts := strings.Split(sc.Text(), "|")
			if len(parts) != 4 {
				continue // a line cut short by SIGKILL: not a handled event
			}
			pid, _ := strconv.Atoi(parts[2])
			at, _ := strconv.ParseInt(parts[3], 10, 64)
			key := parts[0] + "|" + parts[1]
			if parts[0] != r.source {
				r.t.Fatalf("record %q: source is not %s", sc.Text(), r.source)
			}
			rec.count[key]++
			rec.byPid[pid]++
			if seen[key] {
				rec.dupByPid[pid]++
			}
			seen[key] = true
			rec.lastByPid[pid] = max(rec.lastByPid[pid], at)
		}
	}
	return rec
}

func (rec records) unique() int { return len(rec.count) }

func (rec records) duplicates() int {
	n := 0
	for _, c := range rec.count {
		if c > 1 {
			n++
		}
	}
	return n
}

// requireAll fails unless every published event was handled.
func (rec records) requireAll(t *testing.T) {
	t.Helper()
	var missing []string
	for i := range replicaEvents {
		if id := strconv.Itoa(i); rec.count[rec.source+"|"+id] == 0 {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d events never handled, e.g. %v", len(missing), replicaEvents, missing[:min(len(missing), 10)])
	}
}
