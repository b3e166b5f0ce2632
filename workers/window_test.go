package workers

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/internal/poll"
)

// TestPullWindowBoundedBySlots holds every handler slot busy with a
// backlog on the server and wants the replica to have taken at most its
// concurrency in hand plus its concurrency requested ahead: the rest stays
// on the server for other replicas. The held events are then all handled.
func TestPullWindowBoundedBySlots(t *testing.T) {
	env := newEnv(t)
	const conc, backlog = 2, 30
	release := make(chan struct{})
	var handled, started atomic.Int64
	h := handlerFunc(func(ctx context.Context, _ event.Event) ([]event.Event, error) {
		started.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		handled.Add(1)
		return nil, nil
	})
	fn := fnDecl("window", func(c *Config) { c.Concurrency = conc })
	env.start(t, fn, h, opts{})
	env.publishN(t, backlog, "w", "com.example.test")
	poll.Until(t, 10*time.Second, "handlers busy", func() bool { return started.Load() == conc })
	time.Sleep(300 * time.Millisecond) // let any over-eager pull arrive
	pending, ackPending := env.consumerState(t, fn.Function)
	if ackPending > 2*conc {
		t.Fatalf("%d events delivered to a replica with %d slots (pending on the server %d); want at most %d", ackPending, conc, pending, 2*conc)
	}
	if started.Load() != conc {
		t.Fatalf("%d handlers running; concurrency is %d", started.Load(), conc)
	}
	close(release)
	poll.Until(t, 20*time.Second, "backlog handled", func() bool { return handled.Load() == backlog })
	env.waitIdle(t, fn.Function)
}
