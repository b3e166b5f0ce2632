package workers

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/logtest"
	"github.com/fnmesh/fnmesh/internal/poll"
)

// A filter that fails to evaluate is not a silent "no match": the event is
// filtered out with the outcome filter_error (which the processed-events
// metric counts by outcome) and a WARN, written once per interval.
func TestFilterErrorIsVisible(t *testing.T) {
	env := newEnv(t)
	var logs logtest.Buffer
	var outs outcomes
	rec := &recorder{}
	fn := fnDecl("picky", func(c *Config) { c.Filters = []FilterSpec{{CESQL: "priority > 2"}} })
	w, err := New(fn, env.broker(t), rec, WithHooks(outs.hooks()),
		WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	poll.Until(t, 10*time.Second, "worker ready", w.Ready)

	env.publish(t, testEvent("no-priority-1", "com.example.a", "/t"), testEvent("no-priority-2", "com.example.a", "/t"),
		testEvent("high", "com.example.a", "/t", "priority", 5))
	poll.Until(t, 10*time.Second, "three outcomes", func() bool {
		return len(outs.of("no-priority-1")) > 0 && len(outs.of("no-priority-2")) > 0 && len(outs.of("high")) > 0
	})
	env.waitIdle(t, "picky")
	for id, want := range map[string]string{"no-priority-1": OutcomeFilterError, "no-priority-2": OutcomeFilterError, "high": OutcomeOK} {
		if got := outs.of(id); !slices.Equal(got, []string{want}) {
			t.Errorf("%s: outcomes %q, want [%s]", id, got, want)
		}
	}
	if got := rec.perIDCounts(); len(got) != 1 || got["high"] != 1 {
		t.Errorf("handled %v, want high once", got)
	}
	var warns int
	for _, r := range logs.Records(t) {
		if r["level"] == "WARN" && r["function"] == "picky" {
			warns++
			if msg, _ := r["msg"].(string); !contains(msg, "filter failed to evaluate; the event is filtered out") {
				t.Errorf("warn %q", msg)
			}
			if e, _ := r["error"].(string); !contains(e, "priority > 2") {
				t.Errorf("warn error %q, want the expression", e)
			}
		}
	}
	if warns != 1 {
		t.Errorf("%d WARN lines for two failures within %s, want 1:\n%s", warns, filterWarnEvery, logs.String())
	}
}

func TestFilterWarnerRateLimits(t *testing.T) {
	var f filterWarner
	t0 := time.Unix(1000, 0)
	if n, ok := f.allow(t0); !ok || n != 0 {
		t.Fatalf("first: %d %v", n, ok)
	}
	for i := range 3 {
		if _, ok := f.allow(t0.Add(time.Duration(i+1) * time.Second)); ok {
			t.Fatal("allowed within the interval")
		}
	}
	if n, ok := f.allow(t0.Add(filterWarnEvery)); !ok || n != 3 {
		t.Errorf("after the interval: %d %v, want 3 suppressed, allowed", n, ok)
	}
}
