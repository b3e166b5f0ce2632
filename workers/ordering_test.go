package workers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/internal/poll"
)

// keyLog records, per ordering key, the handler runs: which event, when
// it started and ended, and the most runs of one key and of all keys
// seen at once.
type keyLog struct {
	mu        sync.Mutex
	running   map[string]int
	inFlight  int
	peak      int
	overlap   []string
	order     map[string][]int // key -> event numbers in the order handled (ok runs)
	failFirst map[string]bool  // event id -> fail its first attempt
	failed    map[string]bool
	hold      time.Duration
	doneAt    map[string]time.Time // event id -> when it was handled ok
	failedAt  map[string]time.Time // event id -> when its first attempt failed
	starts    []time.Time          // every handler start, in order
}

func newKeyLog(hold time.Duration) *keyLog {
	return &keyLog{running: map[string]int{}, order: map[string][]int{}, failFirst: map[string]bool{}, failed: map[string]bool{}, hold: hold, doneAt: map[string]time.Time{}, failedAt: map[string]time.Time{}}
}

func (l *keyLog) Handle(_ context.Context, e event.Event) ([]event.Event, error) {
	key := e.Subject()
	l.mu.Lock()
	l.running[key]++
	l.starts = append(l.starts, time.Now())
	l.inFlight++
	l.peak = max(l.peak, l.inFlight)
	if l.running[key] > 1 {
		l.overlap = append(l.overlap, e.ID())
	}
	fail := l.failFirst[e.ID()] && !l.failed[e.ID()]
	if fail {
		l.failed[e.ID()] = true
	}
	l.mu.Unlock()
	time.Sleep(l.hold)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running[key]--
	l.inFlight--
	if fail {
		l.failedAt[e.ID()] = time.Now()
		return nil, errBoom
	}
	n, _ := strconv.Atoi(e.ID()[strings.LastIndexByte(e.ID(), '-')+1:])
	l.order[key] = append(l.order[key], n)
	l.doneAt[e.ID()] = time.Now()
	return nil, nil
}

func (l *keyLog) handled() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, o := range l.order {
		n += len(o)
	}
	return n
}

// checkOrder fails t for an overlap of one key or a key handled out of
// stream order (event numbers rise in publish order). A repeat of the last
// number (a redelivery after a crash) is allowed.
func (l *keyLog) checkOrder(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.overlap) > 0 {
		t.Errorf("events handled while another of their key ran: %v", l.overlap)
	}
	for key, o := range l.order {
		for i := 1; i < len(o); i++ {
			if o[i] < o[i-1] {
				t.Errorf("key %s handled out of order: %v", key, o)
				break
			}
		}
	}
}

// publishKeyed stores n events over keys k0..k(keys-1), round robin, with
// ids "<prefix>-<i>" in publish (stream) order.
func publishKeyed(t *testing.T, env *testEnv, prefix string, n, keys int) {
	t.Helper()
	for i := range n {
		e := testEvent(fmt.Sprintf("%s-%d", prefix, i), "com.example.x", "/test")
		e.SetSubject(fmt.Sprintf("k%d", i%keys))
		env.publish(t, e)
	}
}

func TestOrderingPerKeyAcrossReplicas(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	l := newKeyLog(20 * time.Millisecond)
	l.failFirst["o-4"] = true // key k0 waits for its retry; the others go on
	fn := fnDecl("ordered", func(f *Config) {
		f.Concurrency = 4
		f.MaxReplicas = 2
		f.Ordering = &Ordering{Key: "subject"}
		// Long against the other keys' work (90 events of 20ms, three at
		// a time, about 0.6s): they finish within it even on a loaded
		// machine.
		f.Delivery.BackoffDelay = 1500 * time.Millisecond
	})
	env.start(t, fn, l, opts{})
	env.start(t, fn, l, opts{})
	const n, keys = 120, 4
	start := time.Now()
	publishKeyed(t, env, "o", n, keys)
	poll.Until(t, 30*time.Second, "all handled", func() bool { return l.handled() == n })
	env.waitIdle(t, fn.Function)
	l.checkOrder(t)
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("peak in flight %d, took %s", l.peak, time.Since(start))
	if l.peak < 2 {
		t.Errorf("peak in flight %d: different keys should run in parallel", l.peak)
	}
	if l.peak > fn.Concurrency {
		t.Errorf("peak in flight %d > concurrency %d: one replica at a time is pinned", l.peak, fn.Concurrency)
	}
	// While o-4 (key k0) waited 1.5s for its retry, the other keys went
	// on: some later event of another key was handled before o-4 was.
	k0 := l.order["k0"]
	if len(k0) != n/keys || k0[1] != 4 {
		t.Errorf("key k0 order %v: want o-4 second (after its retry), %d events", k0, n/keys)
	}
	// The other keys went on during o-4's backoff: most of their events
	// were done before it.
	retried, others := l.doneAt["o-4"], 0
	for id, at := range l.doneAt {
		if n, _ := strconv.Atoi(id[2:]); n%keys != 0 && at.Before(retried) {
			others++
		}
	}
	if others < n/2 {
		t.Errorf("%d events of other keys handled before o-4's retry succeeded, want most of %d: a retry must hold back only its key", others, n*(keys-1)/keys)
	}
}

func TestOrderingKeyExpression(t *testing.T) {
	k, err := compileOrderKey("CONCAT(source, ':', subject)")
	if err != nil {
		t.Fatal(err)
	}
	e := testEvent("1", "t", "/a")
	e.SetSubject("s")
	if got := k.of(e); got != "/a:s" {
		t.Errorf("key = %q, want /a:s", got)
	}
	k, _ = compileOrderKey("customerid")
	if got := k.of(testEvent("1", "t", "/a", "customerid", "c7")); got != "c7" {
		t.Errorf("attribute key = %q, want c7", got)
	}
	if got := k.of(testEvent("1", "t", "/a")); got != "" {
		t.Errorf("missing attribute key = %q, want empty", got)
	}
	c := fnDecl("f", func(f *Config) { f.Ordering = &Ordering{Key: "CONCAT(source"} }).WithDefaults()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "ordering.key") {
		t.Errorf("bad expression: %v, want an ordering.key error", err)
	}
	c = fnDecl("f", func(f *Config) {
		f.Ordering = &Ordering{Key: "subject"}
		f.RateLimit = &RateLimit{Events: 1, Per: time.Second}
	}).WithDefaults()
	if err := c.Validate(); err != nil {
		t.Errorf("ordering with rateLimit: %v, want it accepted", err)
	}
}
