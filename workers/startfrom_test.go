package workers

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/internal/poll"
)

// TestStartFrom checks where a new function starts reading its stream:
// with new it does not see the events stored before it existed, with all it
// does, and with a time it sees those stored from that time on.
func TestStartFrom(t *testing.T) {
	env := newEnv(t)
	env.publish(t, testEvent("before-1", "com.example.a", "/t"))
	time.Sleep(20 * time.Millisecond)
	cut := time.Now().UTC()
	time.Sleep(20 * time.Millisecond)
	env.publish(t, testEvent("before-2", "com.example.a", "/t"))

	tests := []struct {
		name      string
		startFrom string
		want      []string
	}{
		{"default", "", []string{"after"}},
		{"new", StartNew, []string{"after"}},
		{"all", StartAll, []string{"after", "before-1", "before-2"}},
		{"time", cut.Format(time.RFC3339Nano), []string{"after", "before-2"}},
	}
	recs := map[string]*recorder{}
	for _, tt := range tests {
		recs[tt.name] = &recorder{}
		env.start(t, fnDecl("start-"+tt.name, func(c *Config) { c.StartFrom = tt.startFrom }), recs[tt.name], opts{})
	}
	env.publish(t, testEvent("after", "com.example.a", "/t"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := "start-" + tt.name
			poll.Until(t, 10*time.Second, fn+" handled after", func() bool { return recs[tt.name].perIDCounts()["after"] > 0 })
			env.waitIdle(t, fn)
			got := slices.Sorted(maps.Keys(recs[tt.name].perIDCounts()))
			if !slices.Equal(got, tt.want) {
				t.Errorf("startFrom %q handled %q, want %q", tt.startFrom, got, tt.want)
			}
		})
	}
}

// TestStartFromExistingConsumerKeepsPosition checks that a function whose
// startFrom changed still starts (JetStream refuses to change a deliver
// policy) and that its consumer keeps the position it has.
func TestStartFromExistingConsumerKeepsPosition(t *testing.T) {
	env := newEnv(t)
	fn := fnDecl("keep", func(c *Config) { c.StartFrom = StartAll })
	r := env.start(t, fn, &recorder{}, opts{})
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	env.publish(t, testEvent("while-down", "com.example.a", "/t"))

	fn.StartFrom = StartNew
	rec := &recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := New(fn, env.broker(t), rec)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	poll.Until(t, 5*time.Second, "worker with a changed startFrom ready", w.Ready)
	poll.Until(t, 5*time.Second, "event stored while down handled", func() bool { return rec.perIDCounts()["while-down"] == 1 })
	info, err := env.pub.ConsumerInfo(context.Background(), "EVENTS", "keep")
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.DeliverPolicy != jetstream.DeliverAllPolicy {
		t.Errorf("deliver policy = %v, want the consumer's own (all)", info.Config.DeliverPolicy)
	}
	cancel()
	<-done
}

func TestStartFromInvalid(t *testing.T) {
	for _, s := range []string{"old", "2026-13-01T00:00:00Z", "yesterday", "NEW"} {
		err := fnDecl("f", func(c *Config) { c.StartFrom = s }).WithDefaults().Validate()
		fes := FieldErrors(err)
		if len(fes) != 1 || fes[0].Path[0].Key != "startFrom" || !contains(fes[0].Rule, "must be new, all or an RFC 3339 time") {
			t.Errorf("startFrom %q: %v", s, err)
		}
	}
}
