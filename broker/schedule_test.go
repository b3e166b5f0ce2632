package broker_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

func schedStreams() []broker.StreamSpec {
	return []broker.StreamSpec{{Name: "EVENTS", Subjects: []string{"events.>"}, Schedules: true, MaxDelay: time.Hour}}
}

func schedEvent(id string, at time.Time) *event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource("/test")
	e.SetType("com.example.remind")
	_ = e.SetData("application/json", map[string]string{"id": id})
	if !at.IsZero() {
		e.SetExtension(broker.DeliverAtExtension, at.UTC().Format(time.RFC3339Nano))
	}
	return &e
}

// eventCount is how many messages the event subjects hold.
func eventCount(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	st, err := js.Stream(context.Background(), "EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background(), jetstream.WithSubjectFilter("events.>"))
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, k := range info.State.Subjects {
		n += k
	}
	return n
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestScheduledEventSurvivesRestartAndIsDeliveredOnTime(t *testing.T) {
	dir := t.TempDir()
	srv := brokertest.Server(t, dir)
	c := brokertest.Client(t, srv, schedStreams()...)
	ctx := context.Background()

	at := time.Now().Add(3 * time.Second)
	ack, err := c.Publish(ctx, schedEvent("late-1", at))
	if err != nil {
		t.Fatal(err)
	}
	if ack.Stream != "EVENTS" {
		t.Fatalf("ack %+v", ack)
	}
	// The same event again is a duplicate, as an immediate one would be.
	dup, err := c.Publish(ctx, schedEvent("late-1", at))
	if err != nil || !dup.Duplicate {
		t.Fatalf("second publish: %+v %v", dup, err)
	}
	list, listed, err := c.ListScheduled(ctx, 10)
	if err != nil || len(listed) != 1 || listed[0] != (broker.StreamScheduled{Stream: "EVENTS", Scheduled: 1}) {
		t.Fatalf("list counts: %+v %v, want EVENTS: 1", listed, err)
	}
	if len(list) != 1 || list[0].ID != "late-1" || !list[0].DeliverAt.Equal(at.Round(0).UTC()) || list[0].Subject != "events.com.example.remind" {
		t.Fatalf("list: %+v %v", list, err)
	}
	if counts, err := c.CountScheduled(ctx); err != nil || len(counts) != 1 || counts[0] != (broker.StreamScheduled{Stream: "EVENTS", Scheduled: 1}) {
		t.Fatalf("count: %+v %v, want EVENTS: 1", counts, err)
	}
	js, _ := jetstream.New(c.Conn())
	if n := eventCount(t, js); n != 0 {
		t.Fatalf("a scheduled event is visible before its time: %d on events.>", n)
	}

	// Restart the server before the time comes.
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	srv = brokertest.Server(t, dir)
	c = brokertest.Client(t, srv, schedStreams()...)
	js, _ = jetstream.New(c.Conn())
	if n := eventCount(t, js); n != 0 {
		t.Fatalf("visible after restart, before its time: %d", n)
	}
	waitFor(t, 10*time.Second, "scheduled event delivered", func() bool { return eventCount(t, js) == 1 })
	if late := time.Since(at); late < 0 {
		t.Fatalf("delivered %s early", -late)
	}
	st, _ := js.Stream(ctx, "EVENTS")
	m, err := st.GetLastMsgForSubject(ctx, "events.com.example.remind")
	if err != nil {
		t.Fatal(err)
	}
	got, err := broker.DecodeMsg(m.Header, m.Data)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID() != "late-1" || got.Source() != "/test" || string(got.Data()) != `{"id":"late-1"}` {
		t.Fatalf("delivered event %v", got)
	}
	if list, _, _ := c.ListScheduled(ctx, 10); len(list) != 0 {
		t.Fatalf("still listed after delivery: %+v", list)
	}
	if counts, err := c.CountScheduled(ctx); err != nil || len(counts) != 1 || counts[0].Scheduled != 0 {
		t.Fatalf("count after delivery: %+v %v, want EVENTS: 0", counts, err)
	}
}

func TestCancelScheduled(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv, schedStreams()...)
	ctx := context.Background()
	at := time.Now().Add(2 * time.Second)
	for _, id := range []string{"keep", "drop"} {
		if _, err := c.Publish(ctx, schedEvent(id, at)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := c.CancelScheduled(ctx, "drop", "")
	if err != nil || n != 1 {
		t.Fatalf("cancel: %d %v", n, err)
	}
	if _, err := c.CancelScheduled(ctx, "drop", ""); !errors.Is(err, broker.ErrNotScheduled) {
		t.Fatalf("second cancel: %v, want ErrNotScheduled", err)
	}
	js, _ := jetstream.New(c.Conn())
	waitFor(t, 8*time.Second, "kept event delivered", func() bool { return eventCount(t, js) == 1 })
	time.Sleep(time.Second)
	st, _ := js.Stream(ctx, "EVENTS")
	m, err := st.GetLastMsgForSubject(ctx, "events.com.example.remind")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := broker.DecodeMsg(m.Header, m.Data); got.ID() != "keep" || eventCount(t, js) != 1 {
		t.Fatalf("delivered %v (count %d), want only keep", got, eventCount(t, js))
	}
}

func TestScheduleRefusals(t *testing.T) {
	srv := brokertest.Server(t, "")
	ctx := context.Background()
	plain := brokertest.Client(t, srv)
	var ae *broker.AttributeError
	_, err := plain.Publish(ctx, schedEvent("x", time.Now().Add(time.Minute)))
	if !errors.As(err, &ae) || ae.Attribute != "deliverat" || !strings.Contains(err.Error(), "schedules: true") {
		t.Fatalf("stream without schedules: %v", err)
	}
	srv2 := brokertest.Server(t, "")
	c := brokertest.Client(t, srv2, schedStreams()...)
	_, err = c.Publish(ctx, schedEvent("far", time.Now().Add(2*time.Hour)))
	if !errors.As(err, &ae) || ae.Attribute != "deliverat" || !strings.Contains(err.Error(), "more than stream EVENTS allows (1h0m0s)") {
		t.Fatalf("beyond maxDelay: %v", err)
	}
	bad := schedEvent("bad", time.Time{})
	bad.SetExtension("deliverat", "tomorrow")
	_, err = c.Publish(ctx, bad)
	if !errors.As(err, &ae) || ae.Attribute != "deliverat" || !strings.Contains(err.Error(), "RFC 3339") {
		t.Fatalf("bad deliverat: %v", err)
	}
	// A time in the past is delivered at once.
	if _, err := c.Publish(ctx, schedEvent("past", time.Now().Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(c.Conn())
	if n := eventCount(t, js); n != 1 {
		t.Fatalf("past deliverat: %d events, want 1 at once", n)
	}
}

func TestSchedulesNeedDiscardOld(t *testing.T) {
	s := broker.StreamSpec{Name: "E", Subjects: []string{"e.>"}, Schedules: true, MaxMsgs: 10}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "Schedules: needs discard: old") {
		t.Fatalf("limits with default discard: %v", err)
	}
	s.Discard = broker.DiscardOld
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	s.MaxAge, s.MaxDelay = time.Hour, 2*time.Hour
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "MaxDelay: must not be longer than maxAge") {
		t.Fatalf("maxDelay > maxAge: %v", err)
	}
}

func batchEvents(prefix string, n int) []*event.Event {
	out := make([]*event.Event, n)
	for i := range out {
		out[i] = schedEvent(fmt.Sprintf("%s-%d", prefix, i), time.Time{})
	}
	return out
}

func TestPublishBatchAtomic(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	ctx := context.Background()
	js, _ := jetstream.New(c.Conn())

	res, err := c.PublishBatch(ctx, batchEvents("a", 50), broker.BatchAtomic)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 50 || len(res.Acks) != 50 || res.Acks[0].Sequence != 1 || res.Acks[49].Sequence != 50 {
		t.Fatalf("result %+v", res)
	}
	// A batch holding one stored event stores nothing.
	again := append(batchEvents("b", 10), schedEvent("a-3", time.Time{}))
	if _, err := c.PublishBatch(ctx, again, broker.BatchAtomic); !errors.Is(err, broker.ErrBatchDuplicate) {
		t.Fatalf("batch with a duplicate: %v", err)
	}
	if n := eventCount(t, js); n != 50 {
		t.Fatalf("after refused batch: %d events, want 50", n)
	}
	// An event that cannot be published fails the batch before it is sent.
	bad := batchEvents("c", 5)
	bad[3].SetExtension("deliverat", "soon")
	_, err = c.PublishBatch(ctx, bad, broker.BatchAtomic)
	var be *broker.BatchEventError
	if !errors.As(err, &be) || be.Index != 3 {
		t.Fatalf("bad event: %v", err)
	}
	if _, err := c.PublishBatch(ctx, batchEvents("d", broker.MaxAtomicBatch+1), broker.BatchAtomic); !errors.Is(err, broker.ErrBatchTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if n := eventCount(t, js); n != 50 {
		t.Fatalf("after refused batches: %d events, want 50", n)
	}
}

func TestPublishBatchFast(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	ctx := context.Background()
	js, _ := jetstream.New(c.Conn())
	res, err := c.PublishBatch(ctx, batchEvents("f", 2500), broker.BatchFast)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 2500 || res.Stream != "EVENTS" {
		t.Fatalf("result %+v", res)
	}
	if n := eventCount(t, js); n != 2500 {
		t.Fatalf("%d events, want 2500", n)
	}
	// Fast batches de-duplicate per event: sending again stores nothing new.
	if _, err := c.PublishBatch(ctx, batchEvents("f", 100), broker.BatchFast); err != nil {
		t.Fatal(err)
	}
	if n := eventCount(t, js); n != 2500 {
		t.Fatalf("after resend: %d events, want 2500", n)
	}
}

// TestPublishBatchStreams checks that a batch must go to one stream, with
// types alternating or repeated, and names the first event of another.
func TestPublishBatchStreams(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv,
		broker.StreamSpec{Name: "ONE", Subjects: []string{"events.one", "events.uno"}, Storage: broker.StorageMemory},
		broker.StreamSpec{Name: "TWO", Subjects: []string{"events.two"}, Storage: broker.StorageMemory})
	ctx := context.Background()
	typed := func(types ...string) []*event.Event {
		out := batchEvents(t.Name()+types[0]+strconv.Itoa(len(types)), len(types))
		for i, typ := range types {
			out[i].SetType(typ)
		}
		return out
	}
	res, err := c.PublishBatch(ctx, typed("one", "uno", "one", "one", "uno"), broker.BatchAtomic)
	if err != nil || res.Stream != "ONE" || res.Stored != 5 {
		t.Fatalf("one stream, two types: %+v, %v", res, err)
	}
	for _, c2 := range []struct {
		types []string
		index int
	}{
		{[]string{"one", "uno", "one", "one", "two"}, 4},
		{[]string{"one", "one", "two", "two"}, 2},
		{[]string{"two", "one"}, 1},
	} {
		for _, mode := range []broker.BatchMode{broker.BatchAtomic, broker.BatchFast} {
			_, err := c.PublishBatch(ctx, typed(c2.types...), mode)
			var be *broker.BatchEventError
			if !errors.As(err, &be) || be.Index != c2.index || !errors.Is(err, broker.ErrBatchStreams) {
				t.Errorf("%v (mode %v): %v, want event %d in another stream", c2.types, mode, err, c2.index)
			}
		}
	}
}

// TestPublishBatchInFlight checks the bound on atomic batches in flight:
// a batch waits for a slot within its context and, when that ends first,
// fails as unavailable with nothing stored; many batches at once all get
// through.
func TestPublishBatchInFlight(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	js, _ := jetstream.New(c.Conn())

	release := broker.HoldAtomicSlots(c)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err := c.PublishBatch(ctx, batchEvents("wait", 10), broker.BatchAtomic)
	cancel()
	if !errors.Is(err, broker.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("batch without a slot: %v, want unavailable after its deadline", err)
	}
	if n := eventCount(t, js); n != 0 {
		t.Fatalf("%d events stored by a batch that got no slot", n)
	}
	// Fast batches take no slot.
	if _, err := c.PublishBatch(context.Background(), batchEvents("fast", 10), broker.BatchFast); err != nil {
		t.Fatalf("fast batch while the atomic slots are taken: %v", err)
	}
	release()

	const batches = 20
	errs := make(chan error, batches)
	for i := range batches {
		go func() {
			_, err := c.PublishBatch(context.Background(), batchEvents("many"+strconv.Itoa(i), 50), broker.BatchAtomic)
			errs <- err
		}()
	}
	for range batches {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := eventCount(t, js); n != 10+batches*50 {
		t.Fatalf("%d events stored, want %d", n, 10+batches*50)
	}
}
