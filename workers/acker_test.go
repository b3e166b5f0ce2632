package workers

import (
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/poll"
)

// The acks of many handlers finishing at once go through the acker: every
// one reaches the broker (nothing is left pending or redelivered), also
// those still queued when the worker stops.
func TestAckerWritesEveryAck(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	fn := fnDecl("acker", func(f *Config) { f.Concurrency = 32; f.AckWait = 30 * time.Second })
	rec := &recorder{}
	r := env.start(t, fn, rec, opts{ShutdownTimeout: 10 * time.Second})
	const n = 2000
	ids := env.publishN(t, n, "a", "com.example.x")
	poll.Until(t, 30*time.Second, "every event handled", func() bool { return rec.count() >= n })
	if err := r.stop(t); err != nil {
		t.Fatalf("Run = %v", err)
	}
	// Every ack was written and flushed before Run returned: the consumer
	// soon holds nothing pending (the broker settles acks on its own
	// goroutine), well before a lost ack's 30 s ack wait could end.
	var pending uint64
	var acks int
	if !poll.Wait(5*time.Second, func() bool {
		pending, acks = env.consumerState(t, fn.Function)
		return pending == 0 && acks == 0
	}) {
		t.Fatalf("after the stop: %d events pending, %d awaiting their ack, want 0 and 0", pending, acks)
	}
	counts := rec.perIDCounts()
	for _, id := range ids {
		if counts[id] != 1 {
			t.Errorf("%s handled %d times, want once", id, counts[id])
		}
	}
}
