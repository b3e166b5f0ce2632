package workers_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/app/meshmap/meshmaptest"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers"
)

// countRuntime is a Runtime that only counts: it stands in for processes
// where the test is about the scaler's decisions.
type countRuntime struct {
	mu     sync.Mutex
	counts map[string]int
	scales []string // "fn=n" for every Scale call
}

func newCountRuntime(initial map[string]int) *countRuntime {
	return &countRuntime{counts: maps.Clone(initial)}
}

func (r *countRuntime) List(_ context.Context, fn string) ([]workers.Replica, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]workers.Replica, r.counts[fn])
	for i := range out {
		out[i] = workers.Replica{ID: fmt.Sprintf("%s-%d", fn, i+1), State: workers.ReplicaRunning}
	}
	return out, nil
}

func (r *countRuntime) Scale(_ context.Context, fn string, n int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	r.counts[fn] = n
	r.scales = append(r.scales, fmt.Sprintf("%s=%d", fn, n))
	return nil
}

func (r *countRuntime) Stop(context.Context, string, string) error { return nil }

func (r *countRuntime) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.scales...)
}

// backlogOnly hides the ConsumerEnsurer of a BacklogSource, so that the
// Scaler cannot create a missing consumer.
type backlogOnly struct{ workers.BacklogSource }

// scaleMesh is a mesh with one function "f" on events of type "test.f".
func scaleMesh(mod func(*config.Function)) *config.Mesh {
	m := meshmaptest.Mesh()
	fn := config.Function{
		Name:    "f",
		Filters: []config.Filter{{Exact: map[string]string{"type": "test.f"}}},
		Run:     config.Run{Command: []string{"/bin/true"}},
		Scaling: config.Scaling{MaxReplicaCount: 4, LagThreshold: 100,
			CooldownPeriod: config.Duration(time.Hour), PollingInterval: config.Duration(50 * time.Millisecond)},
	}
	if mod != nil {
		mod(&fn)
	}
	m.Functions = []config.Function{fn}
	m.SetDefaults()
	return m
}

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

// eventually polls cond every 20ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runScaler(t *testing.T, s *workers.Scaler) {
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

func statusOf(s *workers.Scaler, fn string) workers.FunctionStatus {
	for _, st := range s.Status() {
		if st.Function == fn {
			return st
		}
	}
	return workers.FunctionStatus{}
}

func TestScalerHoldsWhileConsumerMissing(t *testing.T) {
	t.Parallel()
	srv := brokertest.Server(t, "")
	m := scaleMesh(nil)
	c := meshmaptest.Client(t, srv, m)
	rt := newCountRuntime(map[string]int{"f": 2})
	s := workers.NewScaler(backlogOnly{workers.NewBrokerBacklog(c, m)}, rt, m.Functions, workers.ScalerOptions{})
	runScaler(t, s)

	eventually(t, 5*time.Second, "a hold decision", func() bool { return statusOf(s, "f").LastDecision.Reason != "" })
	st := statusOf(s, "f")
	if !strings.HasPrefix(st.LastDecision.Reason, "hold: consumer missing") || !strings.Contains(st.Error, "consumer missing") {
		t.Fatalf("status does not say the consumer is missing: %+v", st)
	}
	if st.Actual != 2 || st.Desired != 2 {
		t.Fatalf("actual %d, desired %d: want both held at 2", st.Actual, st.Desired)
	}
	time.Sleep(200 * time.Millisecond) // a few more polls
	if calls := rt.calls(); len(calls) != 0 {
		t.Fatalf("Scale called while the consumer is missing: %v", calls)
	}

	// Once the consumer exists the backlog drives the count again.
	if err := workers.NewBrokerBacklog(c, m).EnsureConsumer(context.Background(), "f"); err != nil {
		t.Fatal(err)
	}
	publishN(t, c, "test.f", "/test", 350)
	eventually(t, 5*time.Second, "scale to 4", func() bool { return statusOf(s, "f").Actual == 4 })
	st = statusOf(s, "f")
	if st.Error != "" || st.Backlog != 350 || st.Pending != 350 || st.LastScale.To != 4 {
		t.Fatalf("status after recovery: %+v", st)
	}
}

func TestScalerEnsuresConsumer(t *testing.T) {
	t.Parallel()
	srv := brokertest.Server(t, "")
	m := scaleMesh(nil)
	c := meshmaptest.Client(t, srv, m)
	publishN(t, c, "test.f", "/test", 150) // stored before the consumer exists
	rt := newCountRuntime(nil)
	s := workers.NewScaler(workers.NewBrokerBacklog(c, m), rt, m.Functions, workers.ScalerOptions{})
	runScaler(t, s)
	eventually(t, 5*time.Second, "activation", func() bool { return statusOf(s, "f").Actual == 2 })
	if _, err := c.ConsumerInfo(context.Background(), "EVENTS", workers.ConsumerName("f")); err != nil {
		t.Fatalf("consumer not created: %v", err)
	}
}

func TestScalerHoldsWhileBrokerDown(t *testing.T) {
	t.Parallel()
	srv := brokertest.Server(t, "")
	m := scaleMesh(nil)
	c := meshmaptest.Client(t, srv, m)
	rt := newCountRuntime(nil)
	var (
		mu        sync.Mutex
		decisions []workers.Decision
	)
	s := workers.NewScaler(workers.NewBrokerBacklog(c, m), rt, m.Functions, workers.ScalerOptions{
		Metrics: func(d workers.Decision) { mu.Lock(); decisions = append(decisions, d); mu.Unlock() },
	})
	runScaler(t, s)
	publishN(t, c, "test.f", "/test", 250)
	eventually(t, 5*time.Second, "scale to 3", func() bool { return statusOf(s, "f").Actual == 3 })
	before := rt.calls()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a broker-unreachable status", func() bool {
		return strings.Contains(statusOf(s, "f").Error, "backlog unavailable")
	})
	mu.Lock()
	n := len(decisions)
	mu.Unlock()
	eventually(t, 10*time.Second, "two more held decisions", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(decisions) >= n+2
	})
	st := statusOf(s, "f")
	if !strings.HasPrefix(st.LastDecision.Reason, "hold: broker unreachable") {
		t.Fatalf("reason %q, want hold: broker unreachable", st.LastDecision.Reason)
	}
	if st.Actual != 3 || st.Desired != 3 {
		t.Fatalf("actual %d, desired %d: want both held at 3", st.Actual, st.Desired)
	}
	if calls := rt.calls(); len(calls) != len(before) {
		t.Fatalf("Scale calls %v while the broker was down (before: %v)", calls[len(before):], before)
	}
}

func TestScalerStopAll(t *testing.T) {
	t.Parallel()
	srv := brokertest.Server(t, "")
	m := scaleMesh(nil)
	c := meshmaptest.Client(t, srv, m)
	rt := newCountRuntime(map[string]int{"f": 2})
	s := workers.NewScaler(workers.NewBrokerBacklog(c, m), rt, m.Functions, workers.ScalerOptions{})
	runScaler(t, s)
	publishN(t, c, "test.f", "/test", 400)
	eventually(t, 5*time.Second, "scale to 4", func() bool { return statusOf(s, "f").Actual == 4 })

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the still-running Run must not scale up again
	if calls := rt.calls(); calls[len(calls)-1] != "f=0" {
		t.Fatalf("Scale calls %v: want f=0 last", calls)
	}
}
