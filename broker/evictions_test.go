package broker_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// TestEvictionWatchCountsEventsRemovedUnprocessed: a discard-old stream
// of 5 takes 23 events while its function's consumer has fetched 3; the
// 15 the stream removed before the consumer was handed them are counted
// once, for that consumer; a consumer of another type whose own events
// were all processed counts none.
func TestEvictionWatchCountsEventsRemovedUnprocessed(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv, broker.StreamSpec{Name: "EVENTS", Subjects: []string{"events.>"}, MaxMsgs: 5, Discard: broker.DiscardOld})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, err := jetstream.New(c.Conn())
	if err != nil {
		t.Fatal(err)
	}
	all, err := js.CreateOrUpdateConsumer(ctx, "EVENTS", jetstream.ConsumerConfig{Durable: "all", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	rare, err := js.CreateOrUpdateConsumer(ctx, "EVENTS", jetstream.ConsumerConfig{Durable: "rare", FilterSubject: "events.rare", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	publish := func(typ string, count int) {
		t.Helper()
		for range count {
			n++
			e := event.New()
			e.SetID(fmt.Sprint(n))
			e.SetSource("/evict")
			e.SetType(typ)
			if _, err := c.Publish(ctx, &e); err != nil {
				t.Fatal(err)
			}
		}
	}
	consume := func(cons jetstream.Consumer, want int) {
		t.Helper()
		batch, err := cons.Fetch(want, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			if err := m.Ack(); err != nil {
				t.Fatal(err)
			}
			got++
		}
		if got != want {
			t.Fatalf("fetched %d, want %d", got, want)
		}
	}

	w, err := c.WatchEvictions("EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	publish("com.example.any", 2)
	publish("rare", 1)
	consume(all, 3)
	consume(rare, 1)
	sample := func() map[string]uint64 {
		t.Helper()
		ev, err := w.Sample(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]uint64{}
		for _, e := range ev {
			if e.Stream != "EVENTS" {
				t.Errorf("eviction on %s", e.Stream)
			}
			out[e.Consumer] += e.Count
		}
		return out
	}
	if got := sample(); len(got) != 0 {
		t.Fatalf("first sample: %v, want nothing", got)
	}
	publish("com.example.any", 20) // seqs 4..23; the stream keeps 19..23
	if got := sample(); len(got) != 0 {
		t.Fatalf("before the consumer moved: %v, want nothing yet", got)
	}
	consume(all, 5)
	if got := sample(); got["all"] != 15 || got["rare"] != 0 {
		t.Errorf("after the consumer moved on: %v, want all: 15 (seqs 4..18) and rare: 0", got)
	}
	if got := sample(); len(got) != 0 {
		t.Errorf("next sample: %v, want nothing counted twice", got)
	}
	publish("rare", 1)
	consume(rare, 1)
	if got := sample(); got["rare"] != 0 {
		t.Errorf("rare consumer passing others' removed events: %v, want 0", got)
	}
}
