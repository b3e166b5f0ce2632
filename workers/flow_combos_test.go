package workers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/internal/poll"
)

// limitedBatches is a BatchHandler for rate-limited batches: it records
// each batch's size and every event's start (the batch's call), fails the
// first attempt of the events in failOnce (alone, by result) and counts
// the successful runs of each event.
type limitedBatches struct {
	mu       sync.Mutex
	sizes    []int
	starts   []time.Time
	ok       map[string]int
	failOnce map[string]bool
	failed   map[string]bool
}

func (l *limitedBatches) Handle(context.Context, event.Event) ([]event.Event, error) {
	return nil, fmt.Errorf("single event to a batch handler")
}

func (l *limitedBatches) HandleBatch(_ context.Context, evs []event.Event) ([]BatchResult, error) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sizes = append(l.sizes, len(evs))
	res := make([]BatchResult, len(evs))
	for i, e := range evs {
		l.starts = append(l.starts, now)
		if l.failOnce[e.ID()] && !l.failed[e.ID()] {
			l.failed[e.ID()] = true
			res[i].Err = errBoom
			continue
		}
		l.ok[e.ID()]++
	}
	return res, nil
}

// deliveries records, per event id, the delivery count of every delivery
// a worker took up (Hooks.Deliver).
type deliveries struct {
	mu  sync.Mutex
	got map[string][]uint64
}

func (d *deliveries) hooks() Hooks {
	return Hooks{Deliver: func(ctx context.Context, _ string, _ nats.Header, e *event.Event, n uint64) (context.Context, func(string, error)) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.got == nil {
			d.got = map[string][]uint64{}
		}
		if e != nil {
			d.got[e.ID()] = append(d.got[e.ID()], n)
		}
		return ctx, nil
	}}
}

// check fails t unless every id was delivered once, except those in
// twice, attempted twice (delivery counts 1 then 2).
func (d *deliveries) check(t *testing.T, ids []string, twice ...string) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range ids {
		want := []uint64{1}
		if slices.Contains(twice, id) {
			want = []uint64{1, 2}
		}
		if got := d.got[id]; !slices.Equal(got, want) {
			t.Errorf("%s delivered as %v, want %v", id, got, want)
		}
	}
}

func (l *limitedBatches) handled() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ok)
}

// TestRateLimitBatch runs two replicas of a batch function (two batches
// of up to 25 in flight each) under one limit of 40 events per second,
// publishes 600 events at once and checks that the limit counts events,
// not batches: the events started (each at its batch's call) in any 10 s
// window stay within the limit + 10 %; that no batch exceeds maxEvents;
// that every event is handled once, the one failing event retried alone
// (the only event delivered twice: the events over the limit waited in
// the stream, none outlived its ack wait); and that events were batched.
func TestRateLimitBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("15 s at the limit")
	}
	t.Parallel()
	env := newEnv(t)
	const limit, n, maxEvents = 40, 600, 25
	h := &limitedBatches{ok: map[string]int{}, failOnce: map[string]bool{"rb-17": true}, failed: map[string]bool{}}
	fn := fnDecl("limitedbatch", func(f *Config) {
		f.Concurrency = 2
		f.MaxReplicas = 2
		f.RateLimit = &RateLimit{Events: limit, Per: time.Second}
		f.Batch = &Batch{MaxEvents: maxEvents, MaxWait: 250 * time.Millisecond}
	})
	var d deliveries
	env.start(t, fn, h, opts{Hooks: d.hooks()})
	env.start(t, fn, h, opts{Hooks: d.hooks()})
	ids := env.publishN(t, n, "rb", "com.example.x")
	var peakAckPending int
	poll.Until(t, 40*time.Second, "all handled", func() bool {
		_, ack := env.consumerState(t, fn.Function)
		peakAckPending = max(peakAckPending, ack)
		return h.handled() == n
	})
	env.waitIdle(t, fn.Function)

	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		if h.ok[id] != 1 {
			t.Errorf("%s handled ok %d times, want 1", id, h.ok[id])
		}
	}
	if len(h.starts) != n+1 {
		t.Errorf("%d event starts, want %d (each event once, rb-17 twice)", len(h.starts), n+1)
	}
	biggest, total := 0, 0
	for _, s := range h.sizes {
		biggest, total = max(biggest, s), total+s
		if s > maxEvents {
			t.Errorf("batch of %d events, want at most %d", s, maxEvents)
		}
	}
	if biggest < 2 {
		t.Errorf("biggest batch %d: events were not batched", biggest)
	}
	starts := slices.Clone(h.starts)
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	got, allowed := maxInWindow(starts, 10*time.Second), limit*10*110/100
	t.Logf("%d batches, mean %.1f, biggest %d; most starts in a 10s window %d (limit %d, +10%% = %d), in a 1s window %d; span %s; peak ack pending %d",
		len(h.sizes), float64(total)/float64(len(h.sizes)), biggest, got, limit*10, allowed, maxInWindow(starts, time.Second),
		starts[len(starts)-1].Sub(starts[0]), peakAckPending)
	if got > allowed {
		t.Errorf("%d events started in a 10s window, want at most %d: the limit counts events, not batches", got, allowed)
	}
	// Only rb-17 came twice: the events over the limit waited in the
	// stream, none outlived its ack wait.
	d.check(t, ids, "rb-17")
	if room := 2 * fn.Concurrency * maxEvents; peakAckPending > room {
		t.Errorf("peak ack pending %d, want at most %d (the batches in flight)", peakAckPending, room)
	}
	if dl := env.deadLetters(t, fn.Function); len(dl) != 0 {
		t.Errorf("dead letters %+v, want none", dl)
	}
}

// TestRateLimitBatchFillsFromBudget checks, in a short run, that a
// rate-limited batch function under an ample limit fills batches up to
// maxEvents (a take grants several tokens at once) and handles every event
// once.
func TestRateLimitBatchFillsFromBudget(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	const n, maxEvents = 150, 50
	h := &limitedBatches{ok: map[string]int{}, failed: map[string]bool{}}
	fn := fnDecl("amplebatch", func(f *Config) {
		f.Concurrency = 2
		f.RateLimit = &RateLimit{Events: 10000, Per: time.Second}
		f.Batch = &Batch{MaxEvents: maxEvents, MaxWait: 300 * time.Millisecond}
	})
	env.start(t, fn, h, opts{})
	ids := env.publishN(t, n, "ab", "com.example.x")
	poll.Until(t, 20*time.Second, "all handled", func() bool { return h.handled() == n })
	env.waitIdle(t, fn.Function)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		if h.ok[id] != 1 {
			t.Errorf("%s handled ok %d times, want 1", id, h.ok[id])
		}
	}
	if len(h.starts) != n {
		t.Errorf("%d event starts, want %d", len(h.starts), n)
	}
	biggest := 0
	for _, s := range h.sizes {
		biggest = max(biggest, s)
		if s > maxEvents {
			t.Errorf("batch of %d events, want at most %d", s, maxEvents)
		}
	}
	t.Logf("batches %v", h.sizes)
	if biggest < 2 {
		t.Errorf("biggest batch %d: events were not batched", biggest)
	}
}

// TestRateLimitOrdering runs two replicas of an ordered function (one
// receives) under a limit of 20 events per second, 240 events over 8 keys,
// with an ack wait of 2 s, far below the time the last events wait for
// their tokens in the receiving replica's hands. It checks that each key
// runs one at a time in stream order, that the starts (retries included)
// in any 10 s window stay within the limit + 10 %, that no event outlived
// its ack wait (each delivered once: heartbeats keep the waiting events)
// and that a retry held back only its key.
func TestRateLimitOrdering(t *testing.T) {
	if testing.Short() {
		t.Skip("12 s at the limit")
	}
	t.Parallel()
	env := newEnv(t)
	const limit, n, keys = 20, 240, 8
	l := newKeyLog(10 * time.Millisecond)
	l.failFirst["ro-9"] = true // key k1 waits 2 s for the retry; the others go on
	fn := fnDecl("limitedorder", func(f *Config) {
		f.Concurrency = 4
		f.MaxReplicas = 2
		f.AckWait = 2 * time.Second
		f.Ordering = &Ordering{Key: "subject"}
		f.RateLimit = &RateLimit{Events: limit, Per: time.Second}
		f.Delivery.BackoffDelay = 2 * time.Second
	})
	var d deliveries
	env.start(t, fn, l, opts{Hooks: d.hooks()})
	env.start(t, fn, l, opts{Hooks: d.hooks()})
	publishKeyed(t, env, "ro", n, keys)
	poll.Until(t, 40*time.Second, "all handled", func() bool { return l.handled() == n })
	env.waitIdle(t, fn.Function)
	l.checkOrder(t)

	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.starts) != n+1 {
		t.Errorf("%d handler starts, want %d (each event once, ro-9 twice)", len(l.starts), n+1)
	}
	starts := slices.Clone(l.starts)
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	got, allowed := maxInWindow(starts, 10*time.Second), limit*10*110/100
	// Other keys' events handled while ro-9 waited for its retry.
	failed, retried, others := l.failedAt["ro-9"], l.doneAt["ro-9"], 0
	for id, at := range l.doneAt {
		if k, _ := strconv.Atoi(id[3:]); k%keys != 9%keys && at.After(failed) && at.Before(retried) {
			others++
		}
	}
	t.Logf("most starts in a 10s window %d (limit %d, +10%% = %d), in a 1s window %d; span %s; peak in flight %d; %d events of other keys during the retry of ro-9",
		got, limit*10, allowed, maxInWindow(starts, time.Second), starts[len(starts)-1].Sub(starts[0]), l.peak, others)
	if got > allowed {
		t.Errorf("%d handler starts in a 10s window, want at most %d", got, allowed)
	}
	if l.peak > fn.Concurrency {
		t.Errorf("peak in flight %d > concurrency %d", l.peak, fn.Concurrency)
	}
	// The retry waited 2 s: at 20/s the other keys had tokens for about 40
	// events meanwhile.
	if others < 10 {
		t.Errorf("%d events of other keys handled during ro-9's retry, want at least 10: a retry must hold back only its key", others)
	}
	// Every event was delivered once (ro-9 was retried in place): the
	// events waiting for a token were kept alive past their ack wait.
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "ro-" + strconv.Itoa(i)
	}
	d.check(t, ids)
}

// orderedBatches is a BatchHandler that checks ordering across batches:
// no key twice in one batch, no key in two batches running at once, each
// key's successful runs in stream order.
type orderedBatchLog struct {
	mu       sync.Mutex
	running  map[string]bool
	sizes    []int
	problems []string
	order    map[string][]int
	doneAt   map[string]time.Time
	failedAt map[string]time.Time
	failOnce map[string]bool
	hold     time.Duration
	starts   []time.Time // every event's start (its batch's call)
}

func (l *orderedBatchLog) Handle(context.Context, event.Event) ([]event.Event, error) {
	return nil, fmt.Errorf("single event to a batch handler")
}

func (l *orderedBatchLog) HandleBatch(_ context.Context, evs []event.Event) ([]BatchResult, error) {
	l.mu.Lock()
	l.sizes = append(l.sizes, len(evs))
	for range evs {
		l.starts = append(l.starts, time.Now())
	}
	seen := map[string]bool{}
	for _, e := range evs {
		k := e.Subject()
		if seen[k] {
			l.problems = append(l.problems, fmt.Sprintf("key %s twice in one batch (%s)", k, e.ID()))
		}
		if l.running[k] {
			l.problems = append(l.problems, fmt.Sprintf("key %s in two batches at once (%s)", k, e.ID()))
		}
		seen[k], l.running[k] = true, true
	}
	l.mu.Unlock()
	time.Sleep(l.hold)
	l.mu.Lock()
	defer l.mu.Unlock()
	res := make([]BatchResult, len(evs))
	for i, e := range evs {
		l.running[e.Subject()] = false
		if l.failOnce[e.ID()] {
			delete(l.failOnce, e.ID())
			l.failedAt[e.ID()] = time.Now()
			res[i].Err = errBoom
			continue
		}
		n, _ := strconv.Atoi(e.ID()[3:])
		l.order[e.Subject()] = append(l.order[e.Subject()], n)
		l.doneAt[e.ID()] = time.Now()
	}
	return res, nil
}

func (l *orderedBatchLog) handled() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.doneAt)
}

// TestOrderingBatch runs two replicas (one receives) of an ordered batch
// function, 400 events over 16 keys, one event failing once with a 1 s
// backoff, and checks that a batch never holds two events of one key nor
// more than maxEvents, that no key is in two batches at once, that each
// key's events are handled in stream order (the failed one retried before
// the next of its key: it was kept in hand, not NAKed), that every other
// event was attempted once, and that the other keys went on during the
// retry.
func TestOrderingBatch(t *testing.T) {
	t.Parallel()
	const n, keys, maxEvents = 400, 16, 8
	fn := fnDecl("orderedbatch", func(f *Config) {
		f.Concurrency = 2
		f.MaxReplicas = 2
		f.Ordering = &Ordering{Key: "subject"}
		f.Batch = &Batch{MaxEvents: maxEvents, MaxWait: 100 * time.Millisecond}
		f.Delivery.BackoffDelay = time.Second
	})
	l, biggest, others := runOrderedBatches(t, fn, n, keys, 30*time.Second)
	defer l.mu.Unlock()
	t.Logf("%d batches, biggest %d; %d events of other keys during the retry of ob-21", len(l.sizes), biggest, others)
}

// runOrderedBatches runs two replicas of the ordered batch function fn
// (one receives) over n events "ob-<i>" of keys keys, ob-21 failing once,
// and checks what every ordered batch test wants: each event attempted
// once but ob-21 (twice), the problems the log saw (two events of a key at
// once), each key's events in stream order, no batch above maxEvents, some
// batching, and at least 10 events of other keys handled during ob-21's
// retry. It returns the log, locked, the biggest batch and that count.
func runOrderedBatches(t *testing.T, fn Config, n, keys int, within time.Duration) (l *orderedBatchLog, biggest, others int) {
	t.Helper()
	env := newEnv(t)
	maxEvents := fn.Batch.MaxEvents
	l = &orderedBatchLog{running: map[string]bool{}, order: map[string][]int{}, doneAt: map[string]time.Time{},
		failedAt: map[string]time.Time{}, failOnce: map[string]bool{"ob-21": true}, hold: 20 * time.Millisecond}
	var d deliveries
	env.start(t, fn, l, opts{Hooks: d.hooks()})
	env.start(t, fn, l, opts{Hooks: d.hooks()})
	publishKeyed(t, env, "ob", n, keys)
	poll.Until(t, within, "all handled", func() bool { return l.handled() == n })
	env.waitIdle(t, fn.Function)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "ob-" + strconv.Itoa(i)
	}
	d.check(t, ids, "ob-21")

	l.mu.Lock()
	for _, p := range l.problems {
		t.Error(p)
	}
	for key, o := range l.order {
		if len(o) != n/keys || !slices.IsSorted(o) {
			t.Errorf("key %s handled %v, want its %d events in stream order", key, o, n/keys)
		}
	}
	for _, s := range l.sizes {
		biggest = max(biggest, s)
		if s > maxEvents {
			t.Errorf("batch of %d events, want at most %d", s, maxEvents)
		}
	}
	failed, retried := l.failedAt["ob-21"], l.doneAt["ob-21"]
	for id, at := range l.doneAt {
		if k, _ := strconv.Atoi(id[3:]); k%keys != 21%keys && at.After(failed) && at.Before(retried) {
			others++
		}
	}
	if biggest < 2 {
		t.Errorf("biggest batch %d: events were not batched", biggest)
	}
	if others < 10 {
		t.Errorf("%d events of other keys handled during ob-21's retry, want at least 10: a retry must hold back only its key", others)
	}
	return l, biggest, others
}

// TestRateLimitOrderingBatch is TestOrderingBatch under a limit of 40
// events per second, with an ack wait of 2 s, far below the time the last
// events wait for their tokens in hand: keys stay in order and one at a
// time, the starts in any 10 s window stay within the limit + 10 %, every
// event is attempted once (none outlived its ack wait) except the failing
// one, whose retry holds back only its key.
func TestRateLimitOrderingBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("12 s at the limit")
	}
	t.Parallel()
	const limit, n, keys, maxEvents = 40, 480, 16, 8
	fn := fnDecl("limitedorderedbatch", func(f *Config) {
		f.Concurrency = 2
		f.MaxReplicas = 2
		f.AckWait = 2 * time.Second
		f.Ordering = &Ordering{Key: "subject"}
		f.RateLimit = &RateLimit{Events: limit, Per: time.Second}
		f.Batch = &Batch{MaxEvents: maxEvents, MaxWait: 200 * time.Millisecond}
		f.Delivery.BackoffDelay = time.Second
	})
	l, biggest, others := runOrderedBatches(t, fn, n, keys, 40*time.Second)
	defer l.mu.Unlock()
	starts := slices.Clone(l.starts)
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	got, allowed := maxInWindow(starts, 10*time.Second), limit*10*110/100
	t.Logf("%d batches, biggest %d; most starts in a 10s window %d (limit %d, +10%% = %d), in a 1s window %d; span %s; %d events of other keys during the retry of ob-21",
		len(l.sizes), biggest, got, limit*10, allowed, maxInWindow(starts, time.Second), starts[len(starts)-1].Sub(starts[0]), others)
	if len(starts) != n+1 {
		t.Errorf("%d starts, want %d (each event once, ob-21 twice)", len(starts), n+1)
	}
	if got > allowed {
		t.Errorf("%d events started in a 10s window, want at most %d", got, allowed)
	}
}
