package scale_test

import (
	"context"
	"fmt"
	"time"

	"github.com/fnmesh/fnmesh/workers/scale"
)

func ExampleDecide() {
	p := scale.Params{Min: 0, Max: 10, LagThreshold: 100, Activation: 0, Cooldown: 30 * time.Second}
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

	// 250 events waiting, no replica yet: start three at once.
	d := scale.Decide(p, scale.DecideInput{Function: "resize", Now: now, Current: 0, Backlog: scale.Backlog{Pending: 250}})
	fmt.Println(d.To, d.Reason)

	// The backlog shrinks: the count is held for the cooldown first.
	d = scale.Decide(p, scale.DecideInput{Function: "resize", Now: now, Current: 3, Backlog: scale.Backlog{Pending: 40}})
	fmt.Println(d.To, d.Reason)
	d = scale.Decide(p, scale.DecideInput{Function: "resize", Now: now.Add(30 * time.Second), Current: 3,
		Backlog: scale.Backlog{Pending: 40}, BelowSince: d.BelowSince})
	fmt.Println(d.To, d.Reason)

	// The broker cannot be reached: keep what runs.
	d = scale.Decide(p, scale.DecideInput{Function: "resize", Now: now, Current: 1, Err: scale.ErrBacklogUnavailable})
	fmt.Println(d.To, d.Reason)
	// Output:
	// 3 activate: backlog 250 > activation 0, needs 3
	// 3 cooldown: backlog 40 wants 1, scale down in 30s
	// 1 scale down: backlog 40 below target for 30s
	// 1 hold: broker unreachable: backlog unavailable
}

// fixedBacklog is a BacklogSource with a constant answer.
type fixedBacklog scale.Backlog

func (b fixedBacklog) Backlog(context.Context, string) (scale.Backlog, error) {
	return scale.Backlog(b), nil
}

func ExampleScaler() {
	fns := []scale.Function{{Name: "resize", Params: scale.Params{Max: 5, LagThreshold: 50, PollingInterval: 10 * time.Millisecond}}}
	rt := newCountRuntime(nil) // a Runtime; fnmesh up uses process.Runtime
	s, err := scale.New(fixedBacklog{Pending: 120, AckPending: 8}, rt, scale.Config{Functions: fns})
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = s.Run(ctx) // returns when ctx ends

	for _, st := range s.Status() {
		fmt.Printf("%s: backlog %d (ack pending %d), replicas %d: %s\n",
			st.Function, st.Backlog, st.AckPending, st.Actual, st.LastScale.Reason)
	}
	// Output:
	// resize: backlog 128 (ack pending 8), replicas 3: activate: backlog 128 > activation 0, needs 3
}

// Five replicas over the three nodes of a cluster.
func ExampleShare() {
	for node := range 3 {
		fmt.Print(scale.Share(5, node, 3), " ")
	}
	fmt.Println()
	// Output: 2 2 1
}
