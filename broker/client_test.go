package broker_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/poll"
)

func newEvent(id string) *event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource("/test")
	e.SetType("com.example.thing.happened")
	_ = e.SetData("application/json", map[string]any{"id": id})
	return &e
}

func readAll(t *testing.T, c *broker.Client, stream string) []broker.StoredEvent {
	t.Helper()
	var out []broker.StoredEvent
	if err := c.ReadStream(context.Background(), stream, "", func(se broker.StoredEvent) bool {
		out = append(out, se)
		return true
	}); err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	return out
}

func TestPublishStoresOnceBySourceAndID(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	ctx := context.Background()

	first, err := c.Publish(ctx, newEvent("a"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Publish(ctx, newEvent("a"))
	if err != nil {
		t.Fatal(err)
	}
	if first.Duplicate || !second.Duplicate || first.Sequence != second.Sequence {
		t.Fatalf("first %+v second %+v: want the second to be a duplicate of the first", first, second)
	}
	other := newEvent("a")
	other.SetSource("/elsewhere")
	if ack, err := c.Publish(ctx, other); err != nil || ack.Duplicate {
		t.Fatalf("same id, other source: ack %+v err %v; want a new message", ack, err)
	}
	if got := readAll(t, c, "EVENTS"); len(got) != 2 {
		t.Fatalf("stored %d messages, want 2", len(got))
	}
}

func TestPublishSubjectFromType(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	if _, err := c.Publish(context.Background(), newEvent("x")); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, c, "EVENTS")
	if len(got) != 1 || got[0].Subject != "events.com.example.thing.happened" {
		t.Fatalf("got %+v", got)
	}
	if got[0].Err != nil || got[0].Event.ID() != "x" {
		t.Fatalf("decoded %v, %v", got[0].Event, got[0].Err)
	}
}

// A broker restart on the same data dir loses no acknowledged event.
func TestRestartKeepsStoredEvents(t *testing.T) {
	dir := t.TempDir()
	srv := brokertest.Server(t, dir)
	c := brokertest.Client(t, srv)
	const n = 500
	for i := range n {
		if _, err := c.Publish(context.Background(), newEvent(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	srv2 := brokertest.Server(t, dir)
	c2 := brokertest.Client(t, srv2)
	got := readAll(t, c2, "EVENTS")
	if len(got) != n {
		t.Fatalf("after restart %d events, want %d", len(got), n)
	}
	seen := map[string]bool{}
	for _, se := range got {
		if se.Err != nil {
			t.Fatalf("seq %d: %v", se.Sequence, se.Err)
		}
		seen[se.Event.ID()] = true
	}
	for i := range n {
		if !seen[fmt.Sprint(i)] {
			t.Fatalf("event %d missing after restart", i)
		}
	}
}

func TestPublishBrokerDownIsUnavailable(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	pctx, pcancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer pcancel()
	_, err := c.Publish(pctx, newEvent("down"))
	if !errors.Is(err, broker.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

// While the connection is down a publish fails with ErrUnavailable at once,
// not with the deadline of a PubAck that cannot come.
func TestPublishDisconnectedFailsFast(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "the client to see the connection down", func() bool { return !c.Connected() })
	_, err := c.Publish(context.Background(), newEvent("down"))
	if !errors.Is(err, broker.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrUnavailable without waiting for a deadline", err)
	}
}

func TestPublishNoStream(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv, broker.StreamSpec{Name: "EVENTS", Subjects: []string{"events.com.other.>"}})
	start := time.Now()
	_, err := c.Publish(context.Background(), newEvent("nostream"))
	if !errors.Is(err, broker.ErrNoStream) {
		t.Fatalf("err = %v, want ErrNoStream", err)
	}
	// The server said so: nothing to wait for, no retry window.
	if took := time.Since(start); took >= broker.PublishRetryWindow {
		t.Errorf("ErrNoStream after %s, want it at once", took)
	}
}

func TestEnsureStreamsUpdates(t *testing.T) {
	srv := brokertest.Server(t, "")
	spec := brokertest.Streams()[0]
	c := brokertest.Client(t, srv, spec)
	spec.MaxMsgs = 10
	if err := c.EnsureStreams(context.Background(), spec); err != nil {
		t.Fatalf("update: %v", err)
	}
	for i := range 20 {
		if _, err := c.Publish(context.Background(), newEvent(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if got := readAll(t, c, "EVENTS"); len(got) != 10 {
		t.Fatalf("stream kept %d, want the 10 newest", len(got))
	}
}

func TestConnectExternalWithUserPassword(t *testing.T) {
	srv := brokertest.Server(t, "")
	// The embedded server has no auth; a plain URL connects and a bad URL
	// gives up with ErrUnavailable when the context ends.
	nc, err := broker.Connect(context.Background(), broker.ConnConfig{URL: srv.ClientURL()}, "t")
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := broker.Connect(ctx, broker.ConnConfig{URL: "nats://127.0.0.1:1"}, "t"); !errors.Is(err, broker.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if _, err := (broker.ConnConfig{Cert: "x"}).Options("t"); err == nil {
		t.Fatal("cert without key accepted")
	}
}
