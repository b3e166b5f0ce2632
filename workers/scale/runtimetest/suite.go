package runtimetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// Harness is how a runtime's tests run the suite.
type Harness struct {
	// Function is the function the runtimes of New run.
	Function string
	// New returns a new runtime that runs Function and no other function;
	// the harness closes it with t.Cleanup.
	New func(t *testing.T) scale.Runtime
	// Ready reports whether replica id runs and will drain when told to
	// stop (a worker that handles SIGTERM).
	Ready func(t *testing.T, id string) bool
	// Drained reports whether replica id was told to stop and exited on
	// its own, as a draining worker does, rather than being killed.
	Drained func(t *testing.T, id string) bool
	// StopReplaces says that Stop leaves the replica count to a controller
	// that starts a replacement (a Kubernetes Deployment); otherwise Stop
	// leaves one replica fewer.
	StopReplaces bool
	// Timeout bounds every wait. Default 30s.
	Timeout time.Duration
}

// Run runs the suite against h, each test on a runtime of its own.
func Run(t *testing.T, h Harness) {
	if h.Timeout <= 0 {
		h.Timeout = 30 * time.Second
	}
	for _, tc := range []struct {
		name string
		test func(*testing.T, *suite)
	}{
		{"start", testStart},
		{"scale up", testScaleUp},
		{"drain on scale down", testDrainOnScaleDown},
		{"list", testList},
		{"stop", testStop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &suite{h: h, rt: h.New(t)}
			tc.test(t, s)
			s.scaleTo(t, 0)
		})
	}
}

// suite is one test's runtime.
type suite struct {
	h  Harness
	rt scale.Runtime
}

// list returns the replicas of the function.
func (s *suite) list(t *testing.T) []scale.Replica {
	t.Helper()
	reps, err := s.rt.List(t.Context(), s.h.Function)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return reps
}

// scaleTo scales to n and waits until exactly n replicas run, each ready,
// and none is stopping; it returns them, oldest first.
func (s *suite) scaleTo(t *testing.T, n int) []scale.Replica {
	t.Helper()
	if err := s.rt.Scale(t.Context(), s.h.Function, n); err != nil {
		t.Fatalf("Scale(%d): %v", n, err)
	}
	return s.waitRunning(t, n)
}

// waitRunning waits until exactly n replicas run, each ready.
func (s *suite) waitRunning(t *testing.T, n int) []scale.Replica {
	t.Helper()
	var reps []scale.Replica
	poll.Until(t, s.h.Timeout, "replicas running and ready", func() bool {
		reps = s.list(t)
		if len(reps) != n {
			return false
		}
		for _, r := range reps {
			if r.State != scale.ReplicaRunning || !s.h.Ready(t, r.ID) {
				return false
			}
		}
		return true
	})
	return reps
}

// ids lists the replica ids.
func ids(reps []scale.Replica) []string {
	out := make([]string, len(reps))
	for i, r := range reps {
		out[i] = r.ID
	}
	return out
}

func testStart(t *testing.T, s *suite) {
	if reps := s.list(t); len(reps) != 0 {
		t.Fatalf("a new runtime lists %v", reps)
	}
	reps := s.scaleTo(t, 1)
	if reps[0].ID == "" || reps[0].Started.IsZero() {
		t.Errorf("replica %+v: want an id and a start time", reps[0])
	}
	if err := s.rt.Scale(t.Context(), s.h.Function, 1); err != nil {
		t.Fatalf("Scale to the current count: %v", err)
	}
	if got := ids(s.list(t)); !slices.Equal(got, ids(reps)) {
		t.Errorf("Scale to the current count changed the replicas: %v, want %v", got, ids(reps))
	}
}

func testScaleUp(t *testing.T, s *suite) {
	first := s.scaleTo(t, 1)
	two := s.scaleTo(t, 2)
	reps := s.scaleTo(t, 3)
	// List is oldest first: replicas keep their places as others are added.
	if !slices.Equal(ids(reps[:2]), ids(two)) || two[0].ID != first[0].ID {
		t.Errorf("List is not oldest first: %v after %v after %v", ids(reps), ids(two), ids(first))
	}
	seen := map[string]bool{}
	for _, r := range reps {
		if seen[r.ID] {
			t.Errorf("replica id %s twice: %v", r.ID, ids(reps))
		}
		seen[r.ID] = true
		if r.Started.IsZero() {
			t.Errorf("replica %s has no start time", r.ID)
		}
	}
}

func testDrainOnScaleDown(t *testing.T, s *suite) {
	reps := s.scaleTo(t, 3)
	if err := s.rt.Scale(t.Context(), s.h.Function, 1); err != nil {
		t.Fatalf("Scale(1): %v", err)
	}
	left := s.waitRunning(t, 1)
	if left[0].ID != reps[0].ID {
		t.Errorf("kept %s, want the oldest %s", left[0].ID, reps[0].ID)
	}
	for _, r := range reps[1:] {
		poll.Until(t, s.h.Timeout, r.ID+" drained", func() bool { return s.h.Drained(t, r.ID) })
	}
	if s.h.Drained(t, reps[0].ID) {
		t.Errorf("the replica kept, %s, was stopped", reps[0].ID)
	}
}

func testList(t *testing.T, s *suite) {
	ctx := t.Context()
	if _, err := s.rt.List(ctx, s.h.Function+"-unknown"); !errors.Is(err, scale.ErrUnknownFunction) {
		t.Errorf("List of an unknown function = %v, want ErrUnknownFunction", err)
	}
	if err := s.rt.Scale(ctx, s.h.Function+"-unknown", 1); !errors.Is(err, scale.ErrUnknownFunction) {
		t.Errorf("Scale of an unknown function = %v, want ErrUnknownFunction", err)
	}
	if err := s.rt.Scale(ctx, s.h.Function, -1); err == nil {
		t.Error("Scale(-1) = nil, want an error")
	}
	if err := s.rt.Stop(ctx, s.h.Function, "no-such-replica"); !errors.Is(err, scale.ErrNoReplica) {
		t.Errorf("Stop of an unknown replica = %v, want ErrNoReplica", err)
	}
	reps := s.scaleTo(t, 2)
	for _, r := range reps {
		if r.State != scale.ReplicaRunning {
			t.Errorf("replica %s is %s, want running", r.ID, r.State)
		}
	}
}

func testStop(t *testing.T, s *suite) {
	reps := s.scaleTo(t, 2)
	newest := reps[1].ID
	ctx, cancel := context.WithTimeout(t.Context(), s.h.Timeout)
	defer cancel()
	if err := s.rt.Stop(ctx, s.h.Function, newest); err != nil {
		t.Fatalf("Stop(%s): %v", newest, err)
	}
	if !s.h.Drained(t, newest) {
		t.Errorf("Stop returned before %s drained", newest)
	}
	after := s.list(t)
	if slices.Contains(ids(after), newest) {
		t.Errorf("after Stop, List still has %s: %v", newest, ids(after))
	}
	if s.h.StopReplaces {
		s.waitRunning(t, 2) // the controller's replacement
		return
	}
	if got := ids(after); !slices.Equal(got, []string{reps[0].ID}) {
		t.Errorf("after Stop: %v, want only %s", got, reps[0].ID)
	}
}
