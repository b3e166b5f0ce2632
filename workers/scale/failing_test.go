package scale_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/logtest"
	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// brokenRuntime is a countRuntime whose replicas cannot start while
// broken is set (as a missing image or command), and that counts the
// attempts.
type brokenRuntime struct {
	*countRuntime
	mu       sync.Mutex
	broken   bool
	attempts int // Scale calls with n > 0 and Check calls
}

var errBroken = fmt.Errorf("function f: run.command[0] %q: not found in PATH: %w", "nosuchprog", scale.ErrNotRunnable)

func (r *brokenRuntime) setBroken(b bool) { r.mu.Lock(); r.broken = b; r.mu.Unlock() }

func (r *brokenRuntime) tries() int { r.mu.Lock(); defer r.mu.Unlock(); return r.attempts }

func (r *brokenRuntime) Check(context.Context, string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if r.broken {
		return errBroken
	}
	return nil
}

func (r *brokenRuntime) Scale(ctx context.Context, fn string, n int) error {
	r.mu.Lock()
	if n > 0 {
		r.attempts++
		if r.broken {
			r.mu.Unlock()
			return errBroken
		}
	}
	r.mu.Unlock()
	return r.countRuntime.Scale(ctx, fn, n)
}

// TestScalerBacksOffFailingRuntime: a function whose runtime cannot start
// is reported failing from the start (state, error, next attempt), is
// retried with a growing delay rather than at every poll, its events stay
// in the stream undelivered, and it starts once the runtime can.
func TestScalerBacksOffFailingRuntime(t *testing.T) {
	t.Parallel()
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	rt := &brokenRuntime{countRuntime: newCountRuntime(nil), broken: true}
	logs := &logtest.Buffer{}
	polls := &decisions{}
	s, err := scale.New(backlogF(t, c), rt, scale.Config{Functions: []scale.Function{{Name: "f", Params: paramsF}}, Metrics: polls.record},
		scale.WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	runScaler(t, s)

	poll.Until(t, 5*time.Second, "the start check to mark the function failing", func() bool {
		return statusOf(s, "f").State == scale.StateFailing
	})
	publishN(t, c, "test.f", "/test", 5)
	// Polls every 50ms for 3s: without a backoff, about 60 attempts.
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		polls.waitMore(t, 10)
	}
	st := statusOf(s, "f")
	if st.State != scale.StateFailing || st.Failing == nil {
		t.Fatalf("status does not show the function failing: %+v", st)
	}
	if !strings.Contains(st.Failing.Error, "run.command[0]") || !strings.Contains(st.Error, "not found in PATH") {
		t.Errorf("failing error %q (status error %q) does not name the field and the reason", st.Failing.Error, st.Error)
	}
	if !st.Failing.NextAttempt.After(st.Failing.Since) {
		t.Errorf("next attempt %v not after the first failure %v", st.Failing.NextAttempt, st.Failing.Since)
	}
	// Check at start, then attempts at about 1s and 3s.
	if n := rt.tries(); n < 2 || n > 4 {
		t.Errorf("%d attempts to start in 3s, want 2 to 4 (backoff from %s)", n, scale.StartBackoffMin)
	}
	errorsLogged := 0
	for _, r := range logs.Records(t) {
		if r["level"] == "ERROR" {
			errorsLogged++
		}
	}
	if errorsLogged != 1 {
		t.Errorf("%d ERROR records, want one for the spell (the retries are warnings):\n%s", errorsLogged, logs.String())
	}
	if st.Actual != 0 {
		t.Errorf("actual %d, want 0: nothing started", st.Actual)
	}
	info, err := c.ConsumerInfo(context.Background(), "EVENTS", workers.ConsumerName("f"))
	if err != nil {
		t.Fatal(err)
	}
	if info.NumPending != 5 || info.Delivered.Consumer != 0 {
		t.Errorf("consumer pending %d, delivered %d: want the 5 events waiting, none delivered", info.NumPending, info.Delivered.Consumer)
	}

	rt.setBroken(false)
	poll.Until(t, 2*scale.StartBackoffMax, "the function to start once its runtime can", func() bool {
		st := statusOf(s, "f")
		return st.State == scale.StateOK && st.Actual == 1
	})
	if st := statusOf(s, "f"); st.Failing != nil || st.Error != "" {
		t.Errorf("status after recovery still failing: %+v", st)
	}
}
