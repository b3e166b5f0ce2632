package scale_test

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
	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/scale"
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

func (r *countRuntime) List(_ context.Context, fn string) ([]scale.Replica, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]scale.Replica, r.counts[fn])
	for i := range out {
		out[i] = scale.Replica{ID: fmt.Sprintf("%s-%d", fn, i+1), State: scale.ReplicaRunning}
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
type backlogOnly struct{ scale.BacklogSource }

// fnF is function "f" on events of type "test.f" in the default EVENTS
// stream of brokertest, as the scaler and the backlog source see it.
var (
	fnF = workers.Config{
		Function: "f", Stream: "EVENTS", SubjectPrefix: "events",
		Filters:     []workers.FilterSpec{{Exact: map[string]string{"type": "test.f"}}},
		MaxReplicas: 4,
	}
	paramsF = scale.Params{Max: 4, LagThreshold: 100, Cooldown: time.Hour, PollingInterval: 50 * time.Millisecond}
)

// decisions counts the scaler's decisions (its Metrics hook), so a test
// can wait for polls that must not change anything.
type decisions struct {
	mu  sync.Mutex
	all []scale.Decision
}

func (d *decisions) record(x scale.Decision) { d.mu.Lock(); d.all = append(d.all, x); d.mu.Unlock() }

func (d *decisions) count() int { d.mu.Lock(); defer d.mu.Unlock(); return len(d.all) }

// waitMore waits until n more decisions than now were made.
func (d *decisions) waitMore(t *testing.T, n int) {
	t.Helper()
	from := d.count()
	poll.Until(t, 10*time.Second, fmt.Sprintf("%d more decisions", n), func() bool { return d.count() >= from+n })
}

// newScaler scales fnF through rt, reading src, and records its decisions.
func newScaler(t *testing.T, src scale.BacklogSource, rt scale.Runtime) (*scale.Scaler, *decisions) {
	t.Helper()
	d := &decisions{}
	s, err := scale.New(src, rt, scale.Config{Functions: []scale.Function{{Name: "f", Params: paramsF}}, Metrics: d.record})
	if err != nil {
		t.Fatal(err)
	}
	return s, d
}

// backlogF reads fnF's backlog through c.
func backlogF(t *testing.T, c scale.Consumers) *scale.BrokerBacklog {
	t.Helper()
	b, err := scale.NewBrokerBacklog(c, []workers.Config{fnF})
	if err != nil {
		t.Fatal(err)
	}
	return b
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

// waitConsumer waits for the scaler to create f's consumer (startFrom
// new): events published before it exists are not its backlog.
func waitConsumer(t *testing.T, c *broker.Client) {
	t.Helper()
	poll.Until(t, 5*time.Second, "consumer created", func() bool {
		_, err := c.ConsumerInfo(context.Background(), "EVENTS", workers.ConsumerName("f"))
		return err == nil
	})
}

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

func statusOf(s *scale.Scaler, fn string) scale.FunctionStatus {
	for _, st := range s.Status() {
		if st.Function == fn {
			return st
		}
	}
	return scale.FunctionStatus{}
}

func TestScalerHoldsWhileConsumerMissing(t *testing.T) {
	t.Parallel()
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	rt := newCountRuntime(map[string]int{"f": 2})
	s, polls := newScaler(t, backlogOnly{backlogF(t, c)}, rt)
	runScaler(t, s)

	poll.Until(t, 5*time.Second, "a hold decision", func() bool { return statusOf(s, "f").LastDecision.Reason != "" })
	st := statusOf(s, "f")
	if !strings.HasPrefix(st.LastDecision.Reason, "hold: consumer missing") || !strings.Contains(st.Error, "consumer missing") {
		t.Fatalf("status does not say the consumer is missing: %+v", st)
	}
	if st.Actual != 2 || st.Desired != 2 {
		t.Fatalf("actual %d, desired %d: want both held at 2", st.Actual, st.Desired)
	}
	polls.waitMore(t, 3)
	if calls := rt.calls(); len(calls) != 0 {
		t.Fatalf("Scale called while the consumer is missing: %v", calls)
	}

	// Once the consumer exists the backlog drives the count again.
	if err := backlogF(t, c).EnsureConsumer(context.Background(), "f"); err != nil {
		t.Fatal(err)
	}
	publishN(t, c, "test.f", "/test", 350)
	// The scaler may scale up while the events are still being published:
	// wait for a poll that has seen all of them.
	poll.Until(t, 5*time.Second, "scale to 4 with the whole backlog seen", func() bool {
		st := statusOf(s, "f")
		return st.Actual == 4 && st.Backlog == 350
	})
	st = statusOf(s, "f")
	if st.Error != "" || st.Backlog != 350 || st.Pending != 350 || st.LastScale.To != 4 {
		t.Fatalf("status after recovery: %+v", st)
	}
}

func TestScalerEnsuresConsumer(t *testing.T) {
	t.Parallel()
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	rt := newCountRuntime(nil)
	s, _ := newScaler(t, backlogF(t, c), rt)
	runScaler(t, s)
	// The scaler creates the missing consumer (startFrom new: it holds the
	// events stored from then on) and scales with its backlog.
	poll.Until(t, 5*time.Second, "consumer created", func() bool {
		_, err := c.ConsumerInfo(context.Background(), "EVENTS", workers.ConsumerName("f"))
		return err == nil
	})
	publishN(t, c, "test.f", "/test", 150)
	poll.Until(t, 5*time.Second, "activation", func() bool { return statusOf(s, "f").Actual == 2 })
}

func TestScalerHoldsWhileBrokerDown(t *testing.T) {
	t.Parallel()
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	rt := newCountRuntime(nil)
	s, polls := newScaler(t, backlogF(t, c), rt)
	runScaler(t, s)
	waitConsumer(t, c)
	publishN(t, c, "test.f", "/test", 250)
	poll.Until(t, 5*time.Second, "scale to 3", func() bool { return statusOf(s, "f").Actual == 3 })
	before := rt.calls()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "a broker-unreachable status", func() bool {
		return strings.Contains(statusOf(s, "f").Error, "backlog unavailable")
	})
	polls.waitMore(t, 2) // two more held decisions
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
	c := brokertest.Client(t, srv)
	rt := newCountRuntime(map[string]int{"f": 2})
	s, polls := newScaler(t, backlogF(t, c), rt)
	runScaler(t, s)
	waitConsumer(t, c)
	publishN(t, c, "test.f", "/test", 400)
	poll.Until(t, 5*time.Second, "scale to 4", func() bool { return statusOf(s, "f").Actual == 4 })

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	polls.waitMore(t, 3) // the still-running Run must not scale up again
	if calls := rt.calls(); calls[len(calls)-1] != "f=0" {
		t.Fatalf("Scale calls %v: want f=0 last", calls)
	}
}

// A function at zero replicas starts one at its first event, not at the
// next poll: with a polling interval of an hour, the event is found by
// the wake (BrokerBacklog.WakeOn).
func TestScalerWakesAtTheFirstEvent(t *testing.T) {
	t.Parallel()
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	rt := newCountRuntime(nil)
	p := paramsF
	p.PollingInterval = time.Hour
	p.Cooldown = 0
	s, err := scale.New(backlogF(t, c).WakeOn(c.Conn()), rt, scale.Config{Functions: []scale.Function{{Name: "f", Params: p}}})
	if err != nil {
		t.Fatal(err)
	}
	runScaler(t, s)
	poll.Until(t, 5*time.Second, "consumer created", func() bool {
		_, err := c.ConsumerInfo(context.Background(), "EVENTS", workers.ConsumerName("f"))
		return err == nil
	})
	// Another function's events do not wake it.
	publishN(t, c, "test.other", "/other", 3)
	time.Sleep(200 * time.Millisecond)
	if got := rt.calls(); len(got) != 0 {
		t.Fatalf("scaled on another function's events: %v", got)
	}
	publishN(t, c, "test.f", "/test", 1)
	poll.Until(t, 10*time.Second, "one replica started by the wake", func() bool { return statusOf(s, "f").NodeActual == 1 })
}
