package workers

import (
	"context"
	"fmt"
	"github.com/fnmesh/fnmesh/internal/poll"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// gapTolerance is how much later than its backoff delay a retry may come:
// the server's redelivery timer plus a pull round trip on a loaded machine.
const gapTolerance = 1500 * time.Millisecond

func TestFailingHandlerRetriesThenDeadLettersThenRedrive(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	const typ = "com.example.order.created"
	fn := fnDecl("always-fails", func(f *Config) {
		f.Filters = []FilterSpec{{Exact: map[string]string{"type": typ}}}
		f.Delivery.BackoffDelay = 200 * time.Millisecond
		f.Delivery.BackoffMax = time.Second
	})
	var healed atomic.Bool
	rec := &recorder{fn: func(context.Context, event.Event, int) ([]event.Event, error) {
		if healed.Load() {
			return nil, nil
		}
		return nil, errBoom
	}}
	env.start(t, fn, rec, opts{})
	// A second function on the same type handles the event at once; the
	// redrive must not reach it again.
	other := &recorder{}
	env.start(t, fnDecl("other", func(f *Config) { f.Filters = fn.Filters }), other, opts{})

	in := testEvent("order-1", typ, "/shop/api", "tenant", "acme", "priority", int32(7))
	in.SetSubject("orders/1")
	in.SetTime(time.Date(2025, 5, 6, 7, 8, 9, 123456789, time.UTC))
	if err := in.SetData("application/json", map[string]any{"total": 12.5}); err != nil {
		t.Fatal(err)
	}
	env.publish(t, in)

	poll.Until(t, 20*time.Second, "a dead letter", func() bool { return len(env.deadLetters(t, fn.Function)) > 0 })
	// Once the server holds nothing for the consumer (the Term arrived) no
	// further attempt can come.
	env.waitIdle(t, fn.Function)
	calls := rec.snapshot()
	if len(calls) != 4 {
		t.Fatalf("handler called %d times, want 1 + retry = 4", len(calls))
	}
	for i, want := range []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond} {
		gap := calls[i+1].at.Sub(calls[i].at)
		if gap < want || gap >= want+gapTolerance {
			t.Errorf("gap before attempt %d = %s, want in [%s, %s)", i+2, gap, want, want+gapTolerance)
		}
	}

	dls := env.deadLetters(t, fn.Function)
	if len(dls) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dls))
	}
	d := dls[0]
	if d.Function != fn.Function || d.Attempts != 4 || !strings.Contains(d.Reason, "boom") ||
		d.Subject != "events."+typ || time.Since(d.Time) > time.Minute || d.Err != nil {
		t.Errorf("dead letter = %+v", d)
	}
	assertSameEvent(t, in, d.Event, broker.ExtDeadLetterFunction, broker.ExtDeadLetterAttempts,
		broker.ExtDeadLetterReason, broker.ExtDeadLetterTime, broker.ExtDeadLetterSubject)
	if p, ack := env.consumerState(t, fn.Function); p != 0 || ack != 0 {
		t.Errorf("consumer pending %d, ack pending %d after the dead letter; want 0, 0", p, ack)
	}

	healed.Store(true)
	n, err := brokertest.DeadLetterQueue(t, env.pub).Redrive(context.Background(), fn.Function, time.Time{})
	if err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v; want 1, nil", n, err)
	}
	poll.Until(t, 10*time.Second, "the redriven event", func() bool { return rec.count() == 5 })
	env.waitIdle(t, fn.Function)
	env.waitIdle(t, "other") // the redriven copy reached the other function too
	if n := rec.count(); n != 5 {
		t.Errorf("handler called %d times in all, want 5 (the redrive once)", n)
	}
	if got := len(env.deadLetters(t, fn.Function)); got != 0 {
		t.Errorf("%d dead letters left after the redrive", got)
	}
	if n := other.count(); n != 1 {
		t.Errorf("the other function handled the event %d times, want 1 (a redrive is for the failed function only)", n)
	}
}

// assertSameEvent compares every attribute and the data of want and got;
// got may carry the extensions named in extra on top.
func assertSameEvent(t *testing.T, want, got *event.Event, extra ...string) {
	t.Helper()
	if got == nil {
		t.Fatal("no event")
	}
	if got.ID() != want.ID() || got.Type() != want.Type() || got.Source() != want.Source() ||
		got.Subject() != want.Subject() || !got.Time().Equal(want.Time()) || got.SpecVersion() != want.SpecVersion() ||
		got.DataContentType() != want.DataContentType() || got.DataSchema() != want.DataSchema() {
		t.Errorf("attributes differ:\n got %s\nwant %s", got, want)
	}
	if string(got.Data()) != string(want.Data()) {
		t.Errorf("data = %q, want %q", got.Data(), want.Data())
	}
	gotExt := maps.Clone(got.Extensions())
	for _, name := range extra {
		if _, ok := gotExt[name]; !ok {
			t.Errorf("extension %s missing", name)
		}
		delete(gotExt, name)
	}
	for name, v := range want.Extensions() {
		if fmt.Sprint(gotExt[name]) != fmt.Sprint(v) {
			t.Errorf("extension %s = %v, want %v", name, gotExt[name], v)
		}
		delete(gotExt, name)
	}
	if len(gotExt) > 0 {
		t.Errorf("unexpected extensions %v", slices.Sorted(maps.Keys(gotExt)))
	}
}

func TestPermanentErrorDeadLettersAtOnce(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	rec := &recorder{fn: func(context.Context, event.Event, int) ([]event.Event, error) {
		return nil, fmt.Errorf("handler: %w", permErr{fmt.Errorf("order total is negative")})
	}}
	fn := fnDecl("permanent")
	env.start(t, fn, rec, opts{})
	env.publish(t, testEvent("p-1", "com.example.x", "/test"))
	poll.Until(t, 10*time.Second, "a dead letter", func() bool { return len(env.deadLetters(t, fn.Function)) == 1 })
	env.waitIdle(t, fn.Function)
	if n := rec.count(); n != 1 {
		t.Errorf("handler called %d times, want 1", n)
	}
	d := env.deadLetters(t, fn.Function)[0]
	if d.Attempts != 1 || d.Reason != "handler: order total is negative" {
		t.Errorf("dead letter attempts %d reason %q", d.Attempts, d.Reason)
	}
}

func TestRetryAfterSetsTheDelay(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	rec := &recorder{fn: func(_ context.Context, _ event.Event, n int) ([]event.Event, error) {
		if n == 1 {
			return nil, retryAfterErr{300 * time.Millisecond}
		}
		return nil, nil
	}}
	fn := fnDecl("retry-after", func(f *Config) {
		f.Delivery.BackoffDelay = 10 * time.Second
		f.Delivery.BackoffMax = time.Minute
	})
	env.start(t, fn, rec, opts{})
	env.publish(t, testEvent("r-1", "com.example.x", "/test"))
	poll.Until(t, 10*time.Second, "the second attempt", func() bool { return rec.count() == 2 })
	calls := rec.snapshot()
	if gap := calls[1].at.Sub(calls[0].at); gap < 300*time.Millisecond || gap >= 300*time.Millisecond+gapTolerance {
		t.Errorf("gap = %s, want the 300ms the error asked for", gap)
	}
}

func TestPanicIsRetried(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	var o outcomes
	rec := &recorder{fn: func(_ context.Context, _ event.Event, n int) ([]event.Event, error) {
		if n == 1 {
			panic("nil map")
		}
		return nil, nil
	}}
	fn := fnDecl("panics")
	env.start(t, fn, rec, opts{Hooks: o.hooks()})
	env.publish(t, testEvent("pan-1", "com.example.x", "/test"))
	poll.Until(t, 10*time.Second, "two outcomes", func() bool { return len(o.of("pan-1")) == 2 })
	if got := o.of("pan-1"); !slices.Equal(got, []string{OutcomeRetry, OutcomeOK}) {
		t.Errorf("outcomes = %q, want retry then ok", got)
	}
	if n := len(env.deadLetters(t, fn.Function)); n != 0 {
		t.Errorf("%d dead letters", n)
	}
}

func TestDeadLetterOffTerminates(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	off, zero := false, 0
	rec := &recorder{fn: func(context.Context, event.Event, int) ([]event.Event, error) { return nil, errBoom }}
	fn := fnDecl("no-dl", func(f *Config) { f.Delivery.DeadLetter, f.Delivery.Retry = &off, &zero })
	env.start(t, fn, rec, opts{})
	env.publish(t, testEvent("n-1", "com.example.x", "/test"))
	poll.Until(t, 10*time.Second, "the term", func() bool {
		p, ack := env.consumerState(t, fn.Function)
		return rec.count() == 1 && p == 0 && ack == 0
	})
	if n := rec.count(); n != 1 {
		t.Errorf("handler called %d times, want 1", n)
	}
	if n := len(env.deadLetters(t, "")); n != 0 {
		t.Errorf("%d dead letters with deadLetter: false", n)
	}
}

// TestAttemptsPastTheLast covers deliveries that ended without a result
// (simulated by a raw consumer that NAKs without handling): within the
// margin the handler still runs and a failure dead-letters at once; past it
// the event is dead-lettered without calling the handler.
func TestAttemptsPastTheLast(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		naks      int
		wantCalls int
		reason    string
	}{
		{naks: 2, wantCalls: 1, reason: "boom"},
		{naks: 3, wantCalls: 0, reason: "delivery attempts exhausted: delivered 4 times, 1 attempts allowed"},
	} {
		t.Run(fmt.Sprintf("naks=%d", tt.naks), func(t *testing.T) {
			env := newEnv(t)
			zero := 0
			fn := fnDecl("crashy", func(f *Config) { f.Delivery.Retry = &zero })
			js, err := jetstream.New(brokertest.Conn(t, env.srv))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			cons, err := js.CreateOrUpdateConsumer(ctx, "EVENTS", ConsumerConfig(fn))
			if err != nil {
				t.Fatal(err)
			}
			env.publish(t, testEvent("c-1", "com.example.x", "/test"))
			for range tt.naks {
				msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
				if err != nil {
					t.Fatal(err)
				}
				if err := msg.Nak(); err != nil {
					t.Fatal(err)
				}
			}
			rec := &recorder{fn: func(context.Context, event.Event, int) ([]event.Event, error) { return nil, errBoom }}
			env.start(t, fn, rec, opts{})
			poll.Until(t, 10*time.Second, "a dead letter", func() bool { return len(env.deadLetters(t, fn.Function)) == 1 })
			d := env.deadLetters(t, fn.Function)[0]
			if n := rec.count(); n != tt.wantCalls {
				t.Errorf("handler called %d times, want %d", n, tt.wantCalls)
			}
			if d.Attempts != tt.naks+1 || !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("dead letter attempts %d reason %q; want %d and %q", d.Attempts, d.Reason, tt.naks+1, tt.reason)
			}
		})
	}
}

func TestUndecodableMessageIsDeadLettered(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	var o outcomes
	rec := &recorder{}
	fn := fnDecl("strict")
	env.start(t, fn, rec, opts{Hooks: o.hooks()})
	js, err := jetstream.New(brokertest.Conn(t, env.srv))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(context.Background(), "events.garbage", []byte("not an event")); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "a dead letter", func() bool { return len(env.deadLetters(t, fn.Function)) == 1 })
	d := env.deadLetters(t, fn.Function)[0]
	if d.Event != nil || d.Err == nil || d.Function != fn.Function || d.Attempts != 1 || d.Subject != "events.garbage" ||
		!strings.Contains(d.Reason, "not a valid CloudEvent") || !strings.Contains(d.Reason, "specversion") {
		t.Errorf("dead letter = %+v", d)
	}
	if n := rec.count(); n != 0 {
		t.Errorf("handler called %d times for an undecodable message", n)
	}
	// The outcome hook runs after the dead letter is stored: wait for it.
	poll.Wait(10*time.Second, func() bool { return len(o.of("<undecodable>")) > 0 })
	if got := o.of("<undecodable>"); !slices.Equal(got, []string{OutcomeDeadLetter}) {
		t.Errorf("outcomes = %q", got)
	}
	// Redrive leaves it in place.
	if n, err := brokertest.DeadLetterQueue(t, env.pub).Redrive(context.Background(), fn.Function, time.Time{}); n != 0 || err != nil {
		t.Errorf("Redrive = %d, %v", n, err)
	}
	if n := len(env.deadLetters(t, fn.Function)); n != 1 {
		t.Errorf("%d dead letters after redrive, want the undecodable one kept", n)
	}
}

// The handler's context tells the attempt and whether it is the last, so
// its logging does not promise a retry that will not happen.
func TestHandlerContextTellsTheLastAttempt(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	var mu sync.Mutex
	var got []DeliveryAttempt
	rec := &recorder{fn: func(ctx context.Context, _ event.Event, _ int) ([]event.Event, error) {
		d, ok := DeliveryFrom(ctx)
		if !ok {
			t.Error("handler context without a delivery attempt")
		}
		mu.Lock()
		got = append(got, d)
		mu.Unlock()
		return nil, errBoom
	}}
	fn := fnDecl("last", func(f *Config) { f.Delivery.Retry = new(1) })
	env.start(t, fn, rec, opts{})
	env.publish(t, testEvent("l-1", "com.example.x", "/test"))
	poll.Until(t, 10*time.Second, "a dead letter", func() bool { return len(env.deadLetters(t, fn.Function)) == 1 })
	mu.Lock()
	defer mu.Unlock()
	want := []DeliveryAttempt{{Attempt: 1, Last: 2}, {Attempt: 2, Last: 2}}
	if !slices.Equal(got, want) {
		t.Fatalf("attempts = %+v, want %+v", got, want)
	}
	if got[0].IsLast() || !got[1].IsLast() {
		t.Errorf("IsLast = %v, %v; want false, true", got[0].IsLast(), got[1].IsLast())
	}
}
