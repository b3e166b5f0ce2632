package broker_test

import (
	"context"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

func TestRedriveAndPurgeSelectByIDTypeAndMatchWithDryRun(t *testing.T) {
	c := brokertest.Client(t, brokertest.Server(t, ""))
	q := brokertest.DeadLetterQueue(t, c)
	ctx := context.Background()
	for i, id := range []string{"a", "b", "c", "d"} {
		e := newEvent(id)
		if id == "d" {
			e.SetType("other.type")
		}
		msg, err := broker.EncodeMsg(broker.Subject("events", e.Type()), e)
		if err != nil {
			t.Fatal(err)
		}
		info := broker.DeadLetterInfo{Function: "billing", Attempts: 1, Reason: "no", Subject: msg.Subject}
		if _, err := q.DeadLetter(ctx, msg.Header, msg.Data, info, "dl-"+id+string(rune('0'+i))); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int { return len(listDeadLetters(t, q, "", time.Time{})) }

	n, err := q.RedriveSelected(ctx, broker.Selection{IDs: []string{"a", "b"}}, true)
	if err != nil || n != 2 || count() != 4 {
		t.Fatalf("dry-run redrive = %d, %v; %d left, want 2 and 4 left", n, err, count())
	}
	n, err = q.RedriveSelected(ctx, broker.Selection{IDs: []string{"a"}}, false)
	if err != nil || n != 1 || count() != 3 {
		t.Fatalf("redrive a = %d, %v; %d left", n, err, count())
	}
	n, err = q.Purge(ctx, broker.Selection{Type: "other.type"}, true)
	if err != nil || n != 1 || count() != 3 {
		t.Fatalf("dry-run purge = %d, %v; %d left", n, err, count())
	}
	n, err = q.Purge(ctx, broker.Selection{Match: func(e *event.Event) bool { return e.ID() == "b" || e.ID() == "d" }}, false)
	if err != nil || n != 2 || count() != 1 {
		t.Fatalf("purge b, d = %d, %v; %d left", n, err, count())
	}
	if n, err := q.Purge(ctx, broker.Selection{Function: "shipping"}, false); err != nil || n != 0 || count() != 1 {
		t.Errorf("purge of another function = %d, %v", n, err)
	}
	// The redriven one is back in the event stream, once.
	var back []string
	if err := c.ReadStream(ctx, "EVENTS", "", func(se broker.StoredEvent) bool { back = append(back, se.Event.ID()); return true }); err != nil {
		t.Fatal(err)
	}
	if len(back) != 1 || back[0] != "a" {
		t.Errorf("event stream holds %v, want [a]", back)
	}
}
