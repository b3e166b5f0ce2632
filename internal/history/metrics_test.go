package history_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/history"
	"github.com/fnmesh/fnmesh/internal/poll"
)

// tally counts observed attempts by "function/outcome" and sums their
// durations.
type tally struct {
	mu  sync.Mutex
	n   map[string]int
	dur time.Duration
}

func (t *tally) ObserveRun(_ context.Context, fn, outcome string, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n = map[string]int{}
	}
	t.n[fn+"/"+outcome]++
	t.dur += d
}

func (t *tally) get(key string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n[key]
}

func (t *tally) total() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	sum := 0
	for _, v := range t.n {
		sum += v
	}
	return sum
}

// newRecorder starts a real embedded server holding the history stream
// of the default Config, and a Recorder to it with opts, closed at the
// end of the test.
func newRecorder(t testing.TB, opts ...history.RecorderOption) (*embedded.Server, history.Config, *history.Recorder) {
	t.Helper()
	srv := brokertest.Server(t, "")
	cfg := history.Config{}
	brokertest.Ensure(t, brokertest.Client(t, srv), cfg.StreamSpec())
	rec, err := history.NewRecorder(brokertest.Conn(t, srv), cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rec.Close(context.Background()) })
	return srv, cfg, rec
}

// record stores recs in the history of cfg and waits until they are sent.
func record(t *testing.T, rec *history.Recorder, recs ...history.Record) {
	t.Helper()
	before := rec.Stats().Recorded
	for _, r := range recs {
		rec.Record(r)
	}
	poll.Until(t, 10*time.Second, fmt.Sprintf("%d records sent", len(recs)), func() bool {
		return rec.Stats().Recorded == before+uint64(len(recs))
	})
}

func runCounter(t *testing.T, c *history.Counter) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Counter.Run: %v", err)
		}
	})
}

func TestCounterCountsWhatIsStoredFromItsStartOn(t *testing.T) {
	srv, cfg, rec := newRecorder(t, history.WithFlushInterval(10*time.Millisecond))
	record(t, rec, history.Record{Function: "f", Outcome: "ok", Duration: history.Duration(time.Second)})
	time.Sleep(20 * time.Millisecond) // the stored time of the old record is before since

	var obs tally
	c, err := history.NewCounter(brokertest.Conn(t, srv), cfg, &obs, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	runCounter(t, c)
	ms := history.Duration(time.Millisecond)
	record(t, rec,
		history.Record{Function: "f", Outcome: "ok", Duration: ms},
		history.Record{Function: "f", Outcome: "retry", Duration: ms},
		history.Record{Function: "f", Outcome: "deadletter", Duration: ms},
		history.Record{Function: "g", Outcome: "ok", Duration: ms},
		history.Record{Function: "g", Outcome: "ok", Duration: ms},
	)
	poll.Until(t, 10*time.Second, "5 attempts counted", func() bool { return obs.total() >= 5 })
	time.Sleep(100 * time.Millisecond) // nothing more arrives
	for key, want := range map[string]int{"f/ok": 1, "f/retry": 1, "f/deadletter": 1, "g/ok": 2} {
		if got := obs.get(key); got != want {
			t.Errorf("%s = %d, want %d", key, got, want)
		}
	}
	obs.mu.Lock()
	dur := obs.dur
	obs.mu.Unlock()
	if obs.total() != 5 || dur != 5*time.Millisecond {
		t.Errorf("counted %d attempts of %v in all, want 5 of 5ms (the record stored before the start is not counted)", obs.total(), dur)
	}
}

func TestCounterWaitsForTheStream(t *testing.T) {
	srv := brokertest.Server(t, "")
	cfg := history.Config{}
	var obs tally
	c, err := history.NewCounter(brokertest.Conn(t, srv), cfg, &obs, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	runCounter(t, c)
	time.Sleep(50 * time.Millisecond) // the counter finds no stream
	brokertest.Ensure(t, brokertest.Client(t, srv), cfg.StreamSpec())
	rec, err := history.NewRecorder(brokertest.Conn(t, srv), cfg, history.WithFlushInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rec.Close(context.Background()) })
	record(t, rec, history.Record{Function: "f", Outcome: "ok"}, history.Record{Function: "f", Outcome: "retry"})
	poll.Until(t, 10*time.Second, "2 attempts counted", func() bool { return obs.total() == 2 })
	if obs.get("f/retry") != 1 {
		t.Errorf("f/retry = %d, want 1", obs.get("f/retry"))
	}
}

func TestCounterFillsTheWindowFromASpanBeforeItsStart(t *testing.T) {
	srv, cfg, rec := newRecorder(t, history.WithFlushInterval(10*time.Millisecond))
	now := time.Now()
	record(t, rec, history.Record{Function: "f", Outcome: "retry", Time: now})
	time.Sleep(20 * time.Millisecond) // the stored time of the old record is before since

	var obs tally
	win := history.NewWindow(time.Minute)
	c, err := history.NewCounter(brokertest.Conn(t, srv), cfg, &obs, time.Now(), nil, history.WithWindow(win))
	if err != nil {
		t.Fatal(err)
	}
	runCounter(t, c)
	record(t, rec, history.Record{Function: "f", Outcome: "ok", Time: now}, history.Record{Function: "g", Outcome: "deadletter", Time: now})
	poll.Until(t, 10*time.Second, "2 attempts observed", func() bool { return obs.total() == 2 })
	poll.Until(t, 10*time.Second, "3 attempts in the window", func() bool {
		return win.Counts("f", now).Attempts+win.Counts("g", now).Attempts == 3
	})
	if got, want := win.Counts("f", now), (history.Counts{Attempts: 2, OK: 1, Retries: 1}); got != want {
		t.Errorf("window of f = %+v, want %+v (the record stored before the start included)", got, want)
	}
	if obs.get("f/retry") != 0 {
		t.Errorf("the record stored before the start was observed")
	}
}

func TestWindowKeepsItsSpan(t *testing.T) {
	w := history.NewWindow(10 * time.Second)
	t0 := time.Unix(1000, 0)
	w.Add("f", "ok", t0)
	w.Add("f", "retry", t0.Add(5*time.Second))
	w.Add("f", "deadletter", t0.Add(9*time.Second))
	w.Add("g", "ok", t0)
	for _, c := range []struct {
		at   time.Duration
		want history.Counts
	}{
		{9 * time.Second, history.Counts{Attempts: 3, OK: 1, Retries: 1, DeadLetters: 1}},
		{10 * time.Second, history.Counts{Attempts: 2, Retries: 1, DeadLetters: 1}}, // t0 is out
		{4 * time.Second, history.Counts{Attempts: 1, OK: 1}},                       // later ones are not yet
		{time.Minute, history.Counts{}},
	} {
		if got := w.Counts("f", t0.Add(c.at)); got != c.want {
			t.Errorf("at t0+%v: %+v, want %+v", c.at, got, c.want)
		}
	}
	w.Add("f", "ok", t0.Add(20*time.Second)) // reuses t0's bucket
	w.Add("f", "ok", t0)                     // older than its bucket: out of the span
	if got := w.Counts("f", t0.Add(20*time.Second)); got != (history.Counts{Attempts: 1, OK: 1}) {
		t.Errorf("at t0+20s: %+v, want 1 ok", got)
	}
	if got := w.Counts("h", t0); got != (history.Counts{}) {
		t.Errorf("unknown function: %+v", got)
	}
}

func TestWindowForgetsFunctionsWithNoAttemptInItsSpan(t *testing.T) {
	w := history.NewWindow(10 * time.Second)
	t0 := time.Unix(1000, 0)
	for i := range 100 { // functions of a mesh file, then removed
		w.Add(fmt.Sprint("gone-", i), "ok", t0)
	}
	for s := range 30 {
		w.Add("kept", "ok", t0.Add(time.Duration(s)*time.Second))
	}
	if got := w.Len(); got != 1 {
		t.Errorf("after 30s the window holds %d functions, want 1 (kept): the others had no attempt in 10s", got)
	}
	if got := w.Counts("kept", t0.Add(29*time.Second)); got.Attempts != 10 {
		t.Errorf("kept = %+v, want 10 attempts in the span", got)
	}
	// Reads alone move the window's clock too.
	if got := w.Counts("kept", t0.Add(time.Hour)); got != (history.Counts{}) || w.Len() != 0 {
		t.Errorf("an hour later: %+v, %d functions held; want none", got, w.Len())
	}
}
