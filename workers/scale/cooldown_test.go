package scale_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// TestScalerCooldownCountsFromLastDelivery: a steady trickle (one event
// every 250ms, each acked at once) keeps the one replica, although nearly
// every poll sees no backlog; once the trickle ends the function scales to
// zero after the cooldown.
func TestScalerCooldownCountsFromLastDelivery(t *testing.T) {
	t.Parallel()
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b := backlogF(t, c)
	if err := b.EnsureConsumer(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	rt := newCountRuntime(map[string]int{"f": 1})
	p := paramsF
	p.Cooldown = time.Second
	s, err := scale.New(b, rt, scale.Config{Functions: []scale.Function{{Name: "f", Params: p}}})
	if err != nil {
		t.Fatal(err)
	}

	// The replica: takes each event as it comes and acks it.
	js, err := jetstream.New(brokertest.Conn(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.Consumer(ctx, "EVENTS", workers.ConsumerName("f"))
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { _ = m.Ack() })
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Stop()

	runScaler(t, s)
	const events, every = 12, 250 * time.Millisecond // 3s, three cooldowns
	for i := range events {
		e := event.New()
		e.SetID(fmt.Sprintf("t-%d", i))
		e.SetType("test.f")
		e.SetSource("/test")
		if _, err := c.Publish(ctx, &e); err != nil {
			t.Fatal(err)
		}
		time.Sleep(every)
	}
	if calls := rt.calls(); slices.Contains(calls, "f=0") {
		t.Fatalf("scaled to zero between events of a steady trickle: Scale calls %v", calls)
	}
	if st := statusOf(s, "f"); st.LastDecision.Time.IsZero() {
		t.Fatal("the scaler made no decision during the trickle")
	}
	poll.Until(t, 10*time.Second, "scale to zero after the trickle", func() bool { return slices.Contains(rt.calls(), "f=0") })
}
