package workers

import (
	"context"
	"fmt"
	"github.com/fnmesh/fnmesh/internal/poll"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker/brokertest"
)

func TestSlowHandlerIsNotRedelivered(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	var o outcomes
	rec := &recorder{fn: func(ctx context.Context, _ event.Event, _ int) ([]event.Event, error) {
		select {
		case <-time.After(3 * time.Second):
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
	fn := fnDecl("slow", func(f *Config) {
		f.AckWait = time.Second
		f.Timeout = 10 * time.Second
		f.Concurrency = 2 // a free slot would take a redelivery at once
	})
	env.start(t, fn, rec, opts{Hooks: o.hooks()})
	env.publish(t, testEvent("slow-1", "com.example.x", "/test"))
	poll.Until(t, 10*time.Second, "the outcome", func() bool { return len(o.of("slow-1")) == 1 })
	// The ack reached the server (the consumer is idle); a redelivery, had
	// the heartbeats not kept the event, would have called the handler
	// again. (The server's redelivered count cannot tell: it counts only
	// redeliveries still pending.)
	env.waitIdle(t, fn.Function)
	if n := rec.count(); n != 1 {
		t.Errorf("handler called %d times, want 1 (heartbeats keep the event)", n)
	}
	if got := o.of("slow-1"); !slices.Equal(got, []string{OutcomeOK}) {
		t.Errorf("outcomes = %q", got)
	}
}

func TestConcurrencyBound(t *testing.T) {
	t.Parallel()
	for _, c := range []int{1, 3, 8} {
		t.Run(fmt.Sprintf("concurrency=%d", c), func(t *testing.T) {
			env := newEnv(t)
			var inFlight, peak atomic.Int32
			h := &recorder{fn: func(context.Context, event.Event, int) ([]event.Event, error) {
				n := inFlight.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(150 * time.Millisecond)
				inFlight.Add(-1)
				return nil, nil
			}}
			env.start(t, fnDecl("bounded", func(f *Config) { f.Concurrency = c }), h, opts{})
			n := 4 * c
			env.publishN(t, n, "c", "com.example.x")
			poll.Until(t, 20*time.Second, "all handled", func() bool { return h.count() == n })
			if p := peak.Load(); p != int32(c) {
				t.Errorf("peak in flight = %d, want exactly %d", p, c)
			}
		})
	}
}

func TestFiltersRouteMixedStream(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	events := []*event.Event{
		testEvent("e1", "com.example.order.created", "/shop/api", "tenant", "acme"),
		testEvent("e2", "com.example.order.cancelled", "/shop/api"),
		testEvent("e3", "com.example.user.created", "/crm", "tenant", "beta"),
		testEvent("e4", "other.thing", "/shop/x", "priority", int32(5)),
	}
	tests := []struct {
		name    string
		filters []FilterSpec
		want    []string
	}{
		{"exact", []FilterSpec{{Exact: map[string]string{"type": "com.example.order.created"}}}, []string{"e1"}},
		{"prefix", []FilterSpec{{Prefix: map[string]string{"type": "com.example."}}}, []string{"e1", "e2", "e3"}},
		{"suffix", []FilterSpec{{Suffix: map[string]string{"type": ".created"}}}, []string{"e1", "e3"}},
		{"all", []FilterSpec{{All: []FilterSpec{{Prefix: map[string]string{"source": "/shop"}}, {Suffix: map[string]string{"type": "created"}}}}}, []string{"e1"}},
		{"any", []FilterSpec{{Any: []FilterSpec{{Exact: map[string]string{"tenant": "beta"}}, {Exact: map[string]string{"type": "other.thing"}}}}}, []string{"e3", "e4"}},
		{"any-types", []FilterSpec{{Any: []FilterSpec{{Exact: map[string]string{"type": "com.example.order.cancelled"}}, {Exact: map[string]string{"type": "other.thing"}}}}}, []string{"e2", "e4"}},
		{"not", []FilterSpec{{Not: &FilterSpec{Exact: map[string]string{"source": "/crm"}}}}, []string{"e1", "e2", "e4"}},
		{"cesql", []FilterSpec{{CESQL: "source LIKE '/shop/%' AND type <> 'com.example.order.cancelled'"}}, []string{"e1", "e4"}},
		{"cesql-missing-attribute", []FilterSpec{{CESQL: "priority > 3"}}, []string{"e4"}},
		{"list", []FilterSpec{{Prefix: map[string]string{"type": "com.example."}}, {CESQL: "EXISTS tenant"}}, []string{"e1", "e3"}},
	}
	type fnRun struct {
		rec *recorder
		o   *outcomes
	}
	runs := make([]fnRun, len(tests))
	for i, tt := range tests {
		runs[i] = fnRun{rec: &recorder{}, o: &outcomes{}}
		env.start(t, fnDecl("f-"+tt.name, func(f *Config) { f.Filters = tt.filters }), runs[i].rec, opts{Hooks: runs[i].o.hooks()})
	}
	env.publish(t, events...)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			poll.Until(t, 10*time.Second, "the consumer to drain", func() bool {
				p, ack := env.consumerState(t, "f-"+tt.name)
				if p != 0 || ack != 0 {
					return false
				}
				for _, id := range tt.want {
					if len(runs[i].o.of(id)) == 0 {
						return false
					}
				}
				return true
			})
			got := slices.Sorted(maps.Keys(runs[i].rec.perIDCounts()))
			if !slices.Equal(got, tt.want) {
				t.Errorf("handled %q, want %q", got, tt.want)
			}
			for _, e := range events {
				outs := runs[i].o.of(e.ID())
				switch {
				case slices.Contains(tt.want, e.ID()):
					if !slices.Equal(outs, []string{OutcomeOK}) {
						t.Errorf("%s: outcomes %q, want ok", e.ID(), outs)
					}
				case len(outs) > 0 && !slices.Equal(outs, []string{OutcomeFiltered}) && !slices.Equal(outs, []string{OutcomeFilterError}):
					// Events the server filtered never reach the worker; a
					// filter that fails to evaluate filters the event out
					// as filter_error.
					t.Errorf("%s: outcomes %q, want filtered, filter_error or none", e.ID(), outs)
				}
			}
		})
	}
}

func TestQueueGroupHandlesEachOnce(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	fn := fnDecl("shared", func(f *Config) { f.Concurrency = 4 })
	recs := []*recorder{{}, {}, {}}
	for _, r := range recs {
		env.start(t, fn, r, opts{})
	}
	const n = 3000
	ids := env.publishN(t, n, "q", "com.example.x")
	total := func() int {
		s := 0
		for _, r := range recs {
			s += r.count()
		}
		return s
	}
	poll.Until(t, 30*time.Second, "all handled", func() bool { return total() >= n })
	env.waitIdle(t, fn.Function) // nothing left that could be delivered again
	seen := map[string]int{}
	for i, r := range recs {
		c := r.perIDCounts()
		if len(c) == 0 {
			t.Errorf("replica %d handled nothing", i)
		}
		for id, k := range c {
			seen[id] += k
		}
	}
	if len(seen) != n || total() != n {
		t.Errorf("%d distinct events in %d calls, want %d in %d", len(seen), total(), n, n)
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("%s handled %d times", id, seen[id])
		}
	}
}

func TestDrainFinishesInHandEvents(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	fn := fnDecl("drain", func(f *Config) { f.Concurrency = 4; f.AckWait = 30 * time.Second })
	var finished atomic.Int32
	slow := &recorder{fn: func(context.Context, event.Event, int) ([]event.Event, error) {
		time.Sleep(300 * time.Millisecond)
		finished.Add(1)
		return nil, nil
	}}
	r1 := env.start(t, fn, slow, opts{ShutdownTimeout: 10 * time.Second})
	const n = 20
	ids := env.publishN(t, n, "d", "com.example.x")
	poll.Until(t, 10*time.Second, "a handler to start", func() bool { return slow.count() > 0 })
	if err := r1.stop(t); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if r1.w.Ready() {
		t.Error("Ready after Run returned")
	}
	first := slow.perIDCounts()
	if int(finished.Load()) != slow.count() {
		t.Errorf("%d handlers started, %d finished before Run returned", slow.count(), finished.Load())
	}
	for id, k := range first {
		if k != 1 {
			t.Errorf("%s handled %d times by the stopped replica", id, k)
		}
	}
	if len(first) == n {
		t.Fatalf("the first replica handled every event; the test needs some left over")
	}

	rest := &recorder{}
	env.start(t, fn, rest, opts{})
	poll.Until(t, 10*time.Second, "the rest", func() bool { return len(first)+rest.count() >= n })
	env.waitIdle(t, fn.Function) // nothing left that could be delivered again
	second := rest.perIDCounts()
	for _, id := range ids {
		if first[id]+second[id] != 1 {
			t.Errorf("%s handled %d times before and %d after the restart, want once in all", id, first[id], second[id])
		}
	}
}

func TestDrainTimeoutReleasesEvents(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	// The ack wait is long: only a NAK at shutdown gets the events to the
	// next replica within the test's time.
	fn := fnDecl("stuck", func(f *Config) { f.Concurrency = 2; f.AckWait = time.Minute })
	var o outcomes
	stuck := &recorder{fn: func(ctx context.Context, _ event.Event, _ int) ([]event.Event, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	r1 := env.start(t, fn, stuck, opts{ShutdownTimeout: 300 * time.Millisecond, Hooks: o.hooks()})
	env.publish(t, testEvent("s-1", "com.example.x", "/test"), testEvent("s-2", "com.example.x", "/test"))
	poll.Until(t, 10*time.Second, "both in hand", func() bool { return stuck.count() == 2 })
	start := time.Now()
	if err := r1.stop(t); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run took %s to return with a 300ms shutdown timeout", d)
	}
	for _, id := range []string{"s-1", "s-2"} {
		if got := o.of(id); !slices.Equal(got, []string{OutcomeRetry}) {
			t.Errorf("%s: outcomes %q, want retry", id, got)
		}
	}
	next := &recorder{}
	env.start(t, fn, next, opts{})
	poll.Until(t, 10*time.Second, "redelivery to the next replica", func() bool { return next.count() == 2 })
}

func TestReturnedEventsArePublished(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	emit := &recorder{fn: func(_ context.Context, e event.Event, _ int) ([]event.Event, error) {
		out := event.New()
		out.SetType("com.example.out")
		if err := out.SetData("text/plain", "from "+e.ID()); err != nil {
			return nil, err
		}
		return []event.Event{out}, nil
	}}
	env.start(t, fnDecl("emit", func(f *Config) {
		f.Filters = []FilterSpec{{Exact: map[string]string{"type": "com.example.in"}}}
	}), emit, opts{})
	var mu sync.Mutex
	got := map[string]event.Event{}
	sink := &recorder{fn: func(_ context.Context, e event.Event, _ int) ([]event.Event, error) {
		mu.Lock()
		defer mu.Unlock()
		got[fmt.Sprint(e.Extensions()["causationid"])] = e
		return nil, nil
	}}
	env.start(t, fnDecl("sink", func(f *Config) {
		f.Filters = []FilterSpec{{Exact: map[string]string{"type": "com.example.out"}}}
	}), sink, opts{})

	env.publish(t, testEvent("in-1", "com.example.in", "/test"), testEvent("in-2", "com.example.in", "/test", "correlationid", "corr-1"))
	poll.Until(t, 10*time.Second, "two outputs", func() bool { return sink.count() == 2 })
	mu.Lock()
	defer mu.Unlock()
	for _, tt := range []struct{ cause, correlation string }{{"in-1", "in-1"}, {"in-2", "corr-1"}} {
		e, ok := got[tt.cause]
		if !ok {
			t.Errorf("no output caused by %s", tt.cause)
			continue
		}
		if fmt.Sprint(e.Extensions()["correlationid"]) != tt.correlation {
			t.Errorf("output of %s: correlationid %v, want %s", tt.cause, e.Extensions()["correlationid"], tt.correlation)
		}
		if e.Source() != "/fnmesh/functions/emit" || e.SpecVersion() != "1.0" || e.Time().IsZero() || string(e.Data()) != "from "+tt.cause {
			t.Errorf("output of %s: %s", tt.cause, e)
		}
		if _, err := uuid.Parse(e.ID()); err != nil {
			t.Errorf("output id %q is not a UUID: %v", e.ID(), err)
		}
	}
}

func TestConsumerRecreatedAfterDeletion(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	rec := &recorder{}
	fn := fnDecl("phoenix")
	r := env.start(t, fn, rec, opts{})
	js, err := jetstream.New(brokertest.Conn(t, env.srv))
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteConsumer(context.Background(), "EVENTS", fn.Function); err != nil {
		t.Fatal(err)
	}
	env.publish(t, testEvent("ph-1", "com.example.x", "/test"))
	poll.Until(t, 15*time.Second, "the event after the consumer was re-created", func() bool { return rec.count() == 1 })
	if !r.w.Ready() {
		t.Error("not ready after the consumer was re-created")
	}
}

// A handler that returns nil after the shutdown timeout cancelled it did its
// work: its event is acked and its outputs stored, not released.
func TestDrainTimeoutKeepsSucceededHandlers(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	fn := fnDecl("finisher", func(f *Config) { f.Concurrency = 2; f.AckWait = time.Minute })
	var o outcomes
	finisher := &recorder{fn: func(ctx context.Context, e event.Event, _ int) ([]event.Event, error) {
		<-ctx.Done()
		out := event.New()
		out.SetType("com.example.done")
		out.SetSource("/finisher")
		out.SetID("out-" + e.ID())
		return []event.Event{out}, nil
	}}
	r1 := env.start(t, fn, finisher, opts{ShutdownTimeout: 200 * time.Millisecond, Hooks: o.hooks()})
	env.publish(t, testEvent("f-1", "com.example.x", "/test"), testEvent("f-2", "com.example.x", "/test"))
	poll.Until(t, 10*time.Second, "both in hand", func() bool { return finisher.count() == 2 })
	if err := r1.stop(t); err != nil {
		t.Fatalf("Run = %v", err)
	}
	for _, id := range []string{"f-1", "f-2"} {
		if got := o.of(id); !slices.Equal(got, []string{OutcomeOK}) {
			t.Errorf("%s: outcomes %q, want ok", id, got)
		}
	}
	// The consumer takes every type: the two stored outputs are what is
	// left pending once both inputs are acked.
	poll.Until(t, 10*time.Second, "inputs acked, outputs stored", func() bool {
		pending, ackPending := env.consumerState(t, "finisher")
		return pending == 2 && ackPending == 0
	})
}
