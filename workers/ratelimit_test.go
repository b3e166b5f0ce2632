package workers

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/internal/poll"
)

// maxInWindow is the most of the sorted times ts that fall in any window
// [t, t+w).
func maxInWindow(ts []time.Time, w time.Duration) int {
	best, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// TestRateLimitAcrossReplicas runs three replicas, each on its own
// connection and with room for 4 events at once, under one limit of 20
// events per second, publishes 300 events at once and checks that the
// handler starts (all replicas together) never exceed the limit by more
// than 10 % in any 10 s window, that no event was delivered twice (those
// over the limit waited in the stream, no attempt was spent on them) and
// that all were handled.
func TestRateLimitAcrossReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("15 s at the limit")
	}
	t.Parallel()
	env := newEnv(t)
	const limit, n = 20, 300
	rec := &recorder{fn: func(context.Context, event.Event, int) ([]event.Event, error) {
		time.Sleep(5 * time.Millisecond)
		return nil, nil
	}}
	fn := fnDecl("limited", func(f *Config) {
		f.Concurrency = 4
		f.MaxReplicas = 3
		f.RateLimit = &RateLimit{Events: limit, Per: time.Second}
	})
	for range 3 {
		env.start(t, fn, rec, opts{})
	}
	env.publishN(t, n, "r", "com.example.x")
	var peakAckPending int
	poll.Until(t, 40*time.Second, "all handled", func() bool {
		_, ack := env.consumerState(t, fn.Function)
		peakAckPending = max(peakAckPending, ack)
		return rec.count() >= n
	})
	env.waitIdle(t, fn.Function)

	calls := rec.snapshot()
	if len(calls) != n {
		t.Fatalf("handler called %d times, want %d (once per event)", len(calls), n)
	}
	starts := make([]time.Time, len(calls))
	for i, c := range calls {
		starts[i] = c.at
		if c.attempt != 1 {
			t.Errorf("event %s handled %d times", c.id, c.attempt)
		}
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	window := 10 * time.Second
	got, allowed := maxInWindow(starts, window), limit*10*110/100
	t.Logf("most starts in a %s window: %d (limit %d, +10%% = %d); span %s; peak ack pending %d",
		window, got, limit*10, allowed, starts[len(starts)-1].Sub(starts[0]), peakAckPending)
	if got > allowed {
		t.Errorf("%d handler starts in a %s window, want at most %d", got, window, allowed)
	}
	// A 1 s window is checked against gross bursts only: a start is the
	// handler's, after its token, its fetch and the scheduler, whose delays
	// on a loaded machine bunch starts by a few hundred milliseconds.
	if got1 := maxInWindow(starts, time.Second); got1 > limit*3/2 {
		t.Errorf("%d handler starts in a 1s window, want at most %d", got1, limit*3/2)
	}
	if peakAckPending > 3*fn.Concurrency {
		t.Errorf("peak ack pending %d, want at most %d (one per slot): events over the limit must not be taken", peakAckPending, 3*fn.Concurrency)
	}
}

func TestRateLimitValidate(t *testing.T) {
	for _, tc := range []struct {
		rl   RateLimit
		want string
	}{
		{RateLimit{Events: 0, Per: time.Second}, "rateLimit.events: must be at least 1"},
		{RateLimit{Events: 10, Per: 0}, "rateLimit.per: must be between 1ms and 24h"},
	} {
		c := fnDecl("f", func(f *Config) { f.RateLimit = &tc.rl }).WithDefaults()
		err := c.Validate()
		if err == nil {
			t.Errorf("%+v: no error", tc.rl)
			continue
		}
		var found bool
		for _, fe := range FieldErrors(err) {
			found = found || strings.Contains(fe.Error(), tc.want)
		}
		if !found {
			t.Errorf("%+v: %v, want %q", tc.rl, err, tc.want)
		}
	}
}

// BenchmarkRateLimitTake measures one token of an unbounded budget: the
// KV read and compare-and-set a rate-limited replica makes before each
// fetch, so b.N/s is what one replica can draw at most.
func BenchmarkRateLimitTake(b *testing.B) {
	env := newEnv(b)
	js, err := jetstream.New(env.client(b).Conn())
	if err != nil {
		b.Fatal(err)
	}
	lim, err := newLimiter(context.Background(), js, "bench", RateLimit{Events: 1_000_000_000, Per: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := lim.take(context.Background(), 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// A take asks for several tokens and gets what the budget holds: a fresh
// budget of 100/s grants its burst (10) at once, and no more.
func TestRateLimitTakeSeveral(t *testing.T) {
	env := newEnv(t)
	js, err := jetstream.New(env.client(t).Conn())
	if err != nil {
		t.Fatal(err)
	}
	lim, err := newLimiter(context.Background(), js, "several", RateLimit{Events: 100, Per: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n, err := lim.take(context.Background(), 50)
	if err != nil || n != 10 {
		t.Fatalf("first take of 50: %d %v, want the burst of 10", n, err)
	}
	n, err = lim.take(context.Background(), 50)
	if err != nil || n < 1 || n >= 10 {
		t.Fatalf("second take of 50: %d %v, want at least 1 and less than a burst: the budget is spent", n, err)
	}
}
