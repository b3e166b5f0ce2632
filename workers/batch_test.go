package workers

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/internal/poll"
)

// batchRecorder is a BatchHandler that records each batch and answers
// with fn.
type batchRecorder struct {
	mu      sync.Mutex
	batches [][]string
	fn      func(ctx context.Context, evs []event.Event, n int) ([]BatchResult, error)
}

func (b *batchRecorder) Handle(context.Context, event.Event) ([]event.Event, error) {
	return nil, fmt.Errorf("single event to a batch handler")
}

func (b *batchRecorder) HandleBatch(ctx context.Context, evs []event.Event) ([]BatchResult, error) {
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID()
	}
	b.mu.Lock()
	b.batches = append(b.batches, ids)
	n := len(b.batches)
	b.mu.Unlock()
	if b.fn == nil {
		return nil, nil
	}
	return b.fn(ctx, evs, n)
}

func (b *batchRecorder) snapshot() [][]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]string(nil), b.batches...)
}

func TestBatchPerEventResults(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	var o outcomes
	var mu sync.Mutex
	okIDs := map[string]int{}
	failedOnce := map[string]bool{}
	rec := &batchRecorder{fn: func(_ context.Context, evs []event.Event, n int) ([]BatchResult, error) {
		if n == 2 {
			return nil, fmt.Errorf("whole batch fails once: %w", errBoom)
		}
		res := make([]BatchResult, len(evs))
		mu.Lock()
		defer mu.Unlock()
		for i, e := range evs {
			switch {
			case e.ID() == "b-7":
				res[i].Err = permErr{fmt.Errorf("bad event")}
			case e.ID() == "b-3" && !failedOnce[e.ID()]:
				failedOnce[e.ID()] = true
				res[i].Err = errBoom
			default:
				okIDs[e.ID()]++
				out := event.New()
				out.SetType("com.example.done")
				res[i].Outputs = []event.Event{out}
			}
		}
		return res, nil
	}}
	fn := fnDecl("batched", func(f *Config) {
		f.Concurrency = 2
		f.Batch = &Batch{MaxEvents: 100, MaxWait: 200 * time.Millisecond}
		f.Filters = []FilterSpec{{Exact: map[string]string{"type": "com.example.x"}}} // not its own outputs
	})
	env.start(t, fn, rec, opts{Hooks: o.hooks()})
	const n = 250
	ids := env.publishN(t, n, "b", "com.example.x")
	poll.Until(t, 30*time.Second, "all settled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(okIDs) == n-1 && len(env.deadLetters(t, fn.Function)) == 1
	})
	env.waitIdle(t, fn.Function)
	batches := rec.snapshot()
	biggest := 0
	for _, b := range batches {
		biggest = max(biggest, len(b))
		if len(b) > 100 {
			t.Errorf("batch of %d events, want at most 100", len(b))
		}
	}
	t.Logf("%d batches, biggest %d", len(batches), biggest)
	if biggest < 2 {
		t.Errorf("biggest batch %d: events were not batched", biggest)
	}
	mu.Lock()
	for _, id := range ids {
		if id != "b-7" && okIDs[id] != 1 {
			t.Errorf("%s handled ok %d times, want 1", id, okIDs[id])
		}
	}
	mu.Unlock()
	dl := env.deadLetters(t, fn.Function)
	if len(dl) != 1 || dl[0].Event.ID() != "b-7" || !strings.Contains(dl[0].Reason, "bad event") {
		t.Errorf("dead letters = %+v, want b-7 alone", dl)
	}
	if got := o.of("b-3"); len(got) < 2 || got[len(got)-1] != OutcomeOK {
		t.Errorf("b-3 outcomes %v: want a retry then ok", got)
	}
	// Outputs of the ok events were stored.
	js, err := jetstream.New(env.pub.Conn())
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(context.Background(), "EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs < uint64(2*n-1) {
		t.Errorf("stream holds %d messages, want %d inputs and %d outputs", info.State.Msgs, n, n-1)
	}
}

func TestBatchHeartbeatsKeepEveryEvent(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	rec := &batchRecorder{fn: func(ctx context.Context, evs []event.Event, _ int) ([]BatchResult, error) {
		time.Sleep(2500 * time.Millisecond) // longer than the ack wait
		return nil, nil
	}}
	fn := fnDecl("slowbatch", func(f *Config) {
		f.AckWait = time.Second
		f.Timeout = 10 * time.Second
		f.Concurrency = 2
		f.Batch = &Batch{MaxEvents: 10, MaxWait: 500 * time.Millisecond}
	})
	env.start(t, fn, rec, opts{})
	env.publishN(t, 10, "s", "com.example.x")
	poll.Until(t, 20*time.Second, "a batch", func() bool { return len(rec.snapshot()) > 0 })
	env.waitIdle(t, fn.Function)
	seen := map[string]int{}
	for _, b := range rec.snapshot() {
		for _, id := range b {
			seen[id]++
		}
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("%s handled %d times, want 1 (heartbeats keep every held event)", id, k)
		}
	}
	if len(seen) != 10 {
		t.Errorf("%d events handled, want 10", len(seen))
	}
}

func TestBatchNeedsBatchHandler(t *testing.T) {
	env := newEnv(t)
	fn := fnDecl("b", func(f *Config) { f.Batch = &Batch{MaxEvents: 10, MaxWait: time.Second} })
	if _, err := New(fn, env.broker(t), &recorder{}); err == nil || !strings.Contains(err.Error(), "BatchHandler") {
		t.Errorf("New with a plain handler: %v", err)
	}
	c := fnDecl("b", func(f *Config) {
		f.Batch = &Batch{MaxEvents: 0, MaxWait: 0}
		f.Ordering = &Ordering{Key: "subject"}
		f.RateLimit = &RateLimit{Events: 1, Per: time.Second}
	}).WithDefaults()
	err := c.Validate()
	for _, want := range []string{"batch.maxEvents: must be between 1 and 10000", "batch.maxWait: must be between 1ms and 1m"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
	if fe := FieldErrors(err); len(fe) != 2 {
		t.Errorf("Validate = %v, want the two batch errors alone (the three settings combine)", err)
	}
	c = fnDecl("b", func(f *Config) {
		f.Batch = &Batch{MaxEvents: 10, MaxWait: time.Second}
		f.RateLimit = &RateLimit{Events: 1, Per: time.Second}
	}).WithDefaults()
	if err := c.Validate(); err != nil {
		t.Errorf("batch with rateLimit: %v, want it accepted", err)
	}
	c = fnDecl("b", func(f *Config) {
		f.Batch = &Batch{MaxEvents: 10, MaxWait: time.Second}
		f.Ordering = &Ordering{Key: "subject"}
	}).WithDefaults()
	if err := c.Validate(); err != nil {
		t.Errorf("batch with ordering: %v, want it accepted", err)
	}
	c.RateLimit = &RateLimit{Events: 1, Per: time.Second}
	if err := c.Validate(); err != nil {
		t.Errorf("batch with ordering and rateLimit: %v, want it accepted", err)
	}
}
