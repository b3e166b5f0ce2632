package broker_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// discardOf reads the policy of stream name from the server.
func discardOf(t *testing.T, js jetstream.JetStream, name string) jetstream.DiscardPolicy {
	t.Helper()
	st, err := js.Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return st.CachedInfo().Config.Discard
}

// TestDiscardPolicy: a new stream with a limit is discard-new unless it
// says otherwise, one without is discard-old; a stream switched by hand
// keeps its policy when the spec does not set one, and takes the spec's
// when it does.
func TestDiscardPolicy(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	js, err := jetstream.New(c.Conn())
	if err != nil {
		t.Fatal(err)
	}
	ensure := func(s broker.StreamSpec) { t.Helper(); brokertest.Ensure(t, c, s) }
	limited := broker.StreamSpec{Name: "LIMITED", Subjects: []string{"limited.>"}, MaxMsgs: 10}
	perSubject := broker.StreamSpec{Name: "PERSUBJECT", Subjects: []string{"persubject.>"}, MaxMsgsPerSubject: 1}
	unlimited := broker.StreamSpec{Name: "UNLIMITED", Subjects: []string{"unlimited.>"}}
	ringBuffer := broker.StreamSpec{Name: "RING", Subjects: []string{"ring.>"}, MaxBytes: 1 << 20, Discard: broker.DiscardOld}
	for _, tt := range []struct {
		spec broker.StreamSpec
		want jetstream.DiscardPolicy
	}{
		{limited, jetstream.DiscardNew}, {perSubject, jetstream.DiscardNew},
		{unlimited, jetstream.DiscardOld}, {ringBuffer, jetstream.DiscardOld},
	} {
		ensure(tt.spec)
		if got := discardOf(t, js, tt.spec.Name); got != tt.want {
			t.Errorf("new stream %s: discard %v, want %v", tt.spec.Name, got, tt.want)
		}
	}

	// Switched by hand to old: EnsureStreams without a policy keeps it.
	st, _ := js.Stream(context.Background(), "LIMITED")
	cfg := st.CachedInfo().Config
	cfg.Discard = jetstream.DiscardOld
	if _, err := js.UpdateStream(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	ensure(limited)
	if got := discardOf(t, js, "LIMITED"); got != jetstream.DiscardOld {
		t.Errorf("after a restart: discard %v, want the hand-set old kept", got)
	}
	// The mesh saying so explicitly wins.
	limited.Discard = broker.DiscardNew
	ensure(limited)
	if got := discardOf(t, js, "LIMITED"); got != jetstream.DiscardNew {
		t.Errorf("explicit new: discard %v, want new", got)
	}

	if err := (broker.StreamSpec{Name: "X", Subjects: []string{"x"}, Discard: "oldest"}).Validate(); err == nil ||
		!strings.Contains(err.Error(), `stream "X": Discard: must be one of old, new`) {
		t.Errorf("Discard oldest: %v, want the field and the rule", err)
	}
}

// TestFullStreamIsErrStreamFull: a discard-new stream at its limit refuses
// the next event with ErrStreamFull (and ErrRejected) and keeps what it
// stored.
func TestFullStreamIsErrStreamFull(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv, broker.StreamSpec{Name: "EVENTS", Subjects: []string{"events.>"}, MaxMsgs: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	publish := func(i int) error {
		e := event.New()
		e.SetID(fmt.Sprint(i))
		e.SetSource("/full")
		e.SetType("com.example.full")
		_, err := c.Publish(ctx, &e)
		return err
	}
	for i := range 3 {
		if err := publish(i); err != nil {
			t.Fatal(err)
		}
	}
	err := publish(3)
	if !errors.Is(err, broker.ErrStreamFull) || !errors.Is(err, broker.ErrRejected) {
		t.Fatalf("fourth event: %v, want ErrStreamFull and ErrRejected", err)
	}
	js, _ := jetstream.New(c.Conn())
	st, err := js.Stream(ctx, "EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	if s := st.CachedInfo().State; s.Msgs != 3 || s.FirstSeq != 1 {
		t.Errorf("stream holds %d messages from %d, want the first 3 kept", s.Msgs, s.FirstSeq)
	}
}
