package broker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// TestStreamCheck: healthy streams pass; a deleted one fails with
// ErrNoStream and is re-created, so the next check passes; a sealed one
// fails with ErrUnavailable; an answer is reused within the TTL.
func TestStreamCheck(t *testing.T) {
	srv := brokertest.Server(t, "")
	specs := []broker.StreamSpec{{Name: "EVENTS", Subjects: []string{"events.>"}, MaxMsgs: 10}, {Name: "OTHER", Subjects: []string{"other.>"}}}
	c := brokertest.Client(t, srv, specs...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, _ := jetstream.New(c.Conn())

	check, err := c.NewStreamCheck(time.Nanosecond, specs...)
	if err != nil {
		t.Fatal(err)
	}
	if err := check.Check(ctx); err != nil {
		t.Fatalf("healthy: %v", err)
	}
	if err := js.DeleteStream(ctx, "EVENTS"); err != nil {
		t.Fatal(err)
	}
	if err := check.Check(ctx); !errors.Is(err, broker.ErrNoStream) {
		t.Fatalf("deleted: %v, want ErrNoStream", err)
	}
	st, err := js.Stream(ctx, "EVENTS")
	if err != nil {
		t.Fatalf("not re-created: %v", err)
	}
	if d := st.CachedInfo().Config.Discard; d != jetstream.DiscardNew {
		t.Errorf("re-created with discard %v, want the spec's default (new)", d)
	}
	if err := check.Check(ctx); err != nil {
		t.Fatalf("after re-creation: %v", err)
	}

	o, _ := js.Stream(ctx, "OTHER")
	cfg := o.CachedInfo().Config
	cfg.Sealed = true
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := check.Check(ctx); !errors.Is(err, broker.ErrUnavailable) {
		t.Fatalf("sealed: %v, want ErrUnavailable", err)
	}

	cached, err := c.NewStreamCheck(time.Hour, specs[:1]...)
	if err != nil {
		t.Fatal(err)
	}
	if err := cached.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(ctx, "EVENTS"); err != nil {
		t.Fatal(err)
	}
	if err := cached.Check(ctx); err != nil {
		t.Fatalf("within the TTL: %v, want the cached answer", err)
	}
}
