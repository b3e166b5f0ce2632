package workers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/poll"
)

// testEnv is a real embedded server with the default mesh streams and a
// publishing client.
type testEnv struct {
	srv *embedded.Server
	pub *broker.Client

	mu      sync.Mutex
	workers []*running
}

func newEnv(t testing.TB) *testEnv {
	t.Helper()
	srv := brokertest.Server(t, "")
	env := &testEnv{srv: srv, pub: brokertest.Client(t, srv)}
	// Stop every worker at once (each drain waits for its last pull to
	// expire), before the server stops.
	t.Cleanup(func() {
		env.mu.Lock()
		defer env.mu.Unlock()
		for _, r := range env.workers {
			r.cancel()
		}
		for _, r := range env.workers {
			select {
			case <-r.done:
			case <-time.After(60 * time.Second):
				t.Errorf("Run did not return after cancel")
			}
		}
	})
	return env
}

// client opens a broker client on its own connection, as a separate
// replica would have.
func (e *testEnv) client(t testing.TB) *broker.Client {
	t.Helper()
	c, err := broker.New(brokertest.Conn(t, e.srv), broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// broker is what a worker of this environment gets: a client on its own
// connection, as a separate replica would have.
func (e *testEnv) broker(t testing.TB) Broker {
	c := e.client(t)
	return Broker{Consumers: c, Publisher: c, DeadLetterer: brokertest.DeadLetterQueue(t, c)}
}

// opts are what a test varies about a started worker beyond its Config.
type opts struct {
	Hooks           Hooks
	ShutdownTimeout time.Duration
}

// running is a worker started by testEnv.start.
type running struct {
	w      *Worker
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
	err    error
}

// stop cancels the worker's context and waits for Run to return.
func (r *running) stop(t testing.TB) error {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return after cancel")
		return nil
	}
}

// start runs a worker for fn on its own connection until the test ends
// and waits until it is ready.
func (e *testEnv) start(t testing.TB, fn Config, h Handler, o opts) *running {
	t.Helper()
	fn.ShutdownTimeout = o.ShutdownTimeout
	w, err := New(fn, e.broker(t), h, WithHooks(o.Hooks))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{w: w, cancel: cancel, done: make(chan struct{})}
	go func() { r.err = w.Run(ctx); close(r.done) }()
	e.mu.Lock()
	e.workers = append(e.workers, r)
	e.mu.Unlock()
	poll.Until(t, 10*time.Second, "worker ready", w.Ready)
	return r
}

// publish stores events through the broker client.
func (e *testEnv) publish(t testing.TB, evs ...*event.Event) {
	t.Helper()
	for _, ev := range evs {
		if _, err := e.pub.Publish(context.Background(), ev); err != nil {
			t.Fatalf("publish %s: %v", ev.ID(), err)
		}
	}
}

// publishN stores n events of type typ with ids "<prefix>-<i>", from
// several goroutines.
func (e *testEnv) publishN(t testing.TB, n int, prefix, typ string) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := g; i < n; i += 8 {
				ev := testEvent(ids[i], typ, "/test")
				if _, err := e.pub.Publish(context.Background(), ev); err != nil {
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
	return ids
}

// deadLetters lists the dead letters of fn.
func (e *testEnv) deadLetters(t testing.TB, fn string) []broker.DeadLetter {
	t.Helper()
	var out []broker.DeadLetter
	err := brokertest.DeadLetterQueue(t, e.pub).List(context.Background(), fn, time.Time{}, func(d broker.DeadLetter) bool {
		out = append(out, d)
		return true
	})
	if err != nil {
		t.Fatalf("dead letters: %v", err)
	}
	return out
}

// consumerState reads fn's consumer from the server.
func (e *testEnv) consumerState(t testing.TB, fn string) (pending uint64, ackPending int) {
	t.Helper()
	info, err := e.pub.ConsumerInfo(context.Background(), "EVENTS", ConsumerName(fn))
	if err != nil {
		t.Fatalf("consumer info: %v", err)
	}
	return info.NumPending, info.NumAckPending
}

// waitIdle waits until the server holds nothing for fn's consumer: no
// event pending and none delivered without an ack, so no delivery can
// follow. It is how a test checks that something did not happen.
func (e *testEnv) waitIdle(t testing.TB, fn string) {
	t.Helper()
	poll.Until(t, 10*time.Second, "consumer "+fn+" idle", func() bool {
		p, ack := e.consumerState(t, fn)
		return p == 0 && ack == 0
	})
}

// fnDecl declares a test function with fast settings.
func fnDecl(name string, mod ...func(*Config)) Config {
	fn := Config{
		Function:      name,
		Stream:        "EVENTS",
		SubjectPrefix: "events",
		AckWait:       5 * time.Second,
		Delivery:      Delivery{Retry: new(3), BackoffDelay: 100 * time.Millisecond},
	}
	for _, f := range mod {
		f(&fn)
	}
	return fn
}

// recorder is a Handler that records every call and answers with fn.
type recorder struct {
	mu    sync.Mutex
	calls []call
	fn    func(ctx context.Context, e event.Event, n int) ([]event.Event, error)
}

type call struct {
	at      time.Time
	id      string
	attempt int
}

func (r *recorder) Handle(ctx context.Context, e event.Event) ([]event.Event, error) {
	r.mu.Lock()
	n := 0
	for _, c := range r.calls {
		if c.id == e.ID() {
			n++
		}
	}
	r.calls = append(r.calls, call{at: time.Now(), id: e.ID(), attempt: n + 1})
	r.mu.Unlock()
	if r.fn == nil {
		return nil, nil
	}
	return r.fn(ctx, e, n+1)
}

func (r *recorder) snapshot() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

func (r *recorder) count() int { return len(r.snapshot()) }

// perIDCounts counts calls by event id.
func (r *recorder) perIDCounts() map[string]int {
	out := map[string]int{}
	for _, c := range r.snapshot() {
		out[c.id]++
	}
	return out
}

// permErr is a permanent error as the functions package makes them.
type permErr struct{ error }

func (permErr) Permanent() bool { return true }

var errBoom = errors.New("boom")

// outcomes records the outcomes reported to Hooks.Deliver.
type outcomes struct {
	mu  sync.Mutex
	got map[string][]string // event id -> outcomes
}

func (o *outcomes) hooks() Hooks {
	return Hooks{Deliver: func(ctx context.Context, fn string, _ nats.Header, e *event.Event, _ uint64) (context.Context, func(string, error)) {
		id := "<undecodable>"
		if e != nil {
			id = e.ID()
		}
		return ctx, func(outcome string, _ error) {
			o.mu.Lock()
			defer o.mu.Unlock()
			if o.got == nil {
				o.got = map[string][]string{}
			}
			o.got[id] = append(o.got[id], outcome)
		}
	}}
}

func (o *outcomes) of(id string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.got[id]...)
}
