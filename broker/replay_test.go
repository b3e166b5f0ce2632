package broker_test

import (
	"context"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

func TestReplaySendsMatchingEventsAgainToOneFunction(t *testing.T) {
	c := brokertest.Client(t, brokertest.Server(t, ""))
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		if _, err := c.Publish(ctx, newEvent(id)); err != nil {
			t.Fatal(err)
		}
	}
	skipB := func(e *event.Event) bool { return e.ID() != "b" }
	n, err := c.Replay(ctx, broker.ReplaySpec{Stream: "EVENTS", Function: "billing", Match: skipB, DryRun: true})
	if err != nil || n != 2 {
		t.Fatalf("dry run = %d, %v; want 2", n, err)
	}
	var progress []int
	n, err = c.Replay(ctx, broker.ReplaySpec{Stream: "EVENTS", Function: "billing", Match: skipB, Progress: func(n int) { progress = append(progress, n) }})
	if err != nil || n != 2 || len(progress) != 2 {
		t.Fatalf("replay = %d, %v, progress %v", n, err, progress)
	}
	var copies []*event.Event
	err = c.ReadStream(ctx, "EVENTS", "", func(se broker.StoredEvent) bool {
		if se.Sequence > 3 {
			copies = append(copies, se.Event)
		}
		return true
	})
	if err != nil || len(copies) != 2 {
		t.Fatalf("copies = %d, %v; want 2 (and the replay stopped at the end it saw)", len(copies), err)
	}
	ext := copies[0].Extensions()
	if copies[0].ID() != "a" || ext[broker.ExtRedriveFunction] != "billing" || ext[broker.ExtReplayOf] != "EVENTS/1" {
		t.Errorf("first copy = %s", copies[0])
	}
	if _, err := c.Replay(ctx, broker.ReplaySpec{Stream: "EVENTS"}); err == nil {
		t.Error("replay without a function: no error")
	}
}
