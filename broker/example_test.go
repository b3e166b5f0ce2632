package broker_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
)

// startExampleServer starts an embedded server in a temporary directory and
// returns a connection to it and a function that stops both.
func startExampleServer() (*nats.Conn, func(), error) {
	dir, err := os.MkdirTemp("", "broker-example")
	if err != nil {
		return nil, nil, err
	}
	srv, err := embedded.Start(embedded.Config{DataDir: dir}, nil)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		os.RemoveAll(dir)
	}
	nc, err := srv.Connect("example")
	if err != nil {
		stop()
		return nil, nil, err
	}
	return nc, func() { nc.Close(); stop() }, nil
}

func ExampleNew() {
	nc, stop, err := startExampleServer()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()

	// Zero fields get their defaults; a field that breaks a rule is named.
	c, err := broker.New(nc, broker.Config{})
	fmt.Println(c.SubjectPrefix(), err)
	_, err = broker.New(nc, broker.Config{SubjectPrefix: "events.>"})
	fmt.Println(errors.Is(err, broker.ErrInvalid), err)
	// Output:
	// events <nil>
	// true broker: SubjectPrefix: must not contain wildcards '*' or '>'
}

func ExampleClient_EnsureStreams() {
	nc, stop, err := startExampleServer()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	c, err := broker.New(nc, broker.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	events := broker.StreamSpec{Name: "EVENTS", Subjects: []string{"events.>"}, MaxAge: 168 * time.Hour}
	fmt.Println(c.EnsureStreams(ctx, events))

	// Specs are checked before anything is created.
	orders := broker.StreamSpec{Name: "ORDERS", Subjects: []string{"events.orders.>"}}
	fmt.Println(c.EnsureStreams(ctx, events, orders))
	// Output:
	// <nil>
	// broker: stream "ORDERS": Subjects: "events.orders.>" overlaps "events.>" of stream "EVENTS" (a subject can belong to one stream only)
}

func ExampleNewDeadLetterQueue() {
	nc, stop, err := startExampleServer()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	c, err := broker.New(nc, broker.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	cfg := broker.DeadLetterConfig{MaxAge: 720 * time.Hour}
	if err := c.EnsureStreams(ctx, cfg.StreamSpec()); err != nil {
		fmt.Println(err)
		return
	}
	q, err := broker.NewDeadLetterQueue(c, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}

	// A delivery that is not a CloudEvent is kept as it was stored.
	hdr := nats.Header{"X-Order": {"A-1"}}
	info := broker.DeadLetterInfo{Function: "billing", Attempts: 3, Reason: "card declined"}
	ack, err := q.DeadLetter(ctx, hdr, []byte("not an event"), info, "deadletter-billing-EVENTS-42")
	fmt.Println(ack.Stream, ack.Sequence, err)

	err = q.List(ctx, "billing", time.Time{}, func(d broker.DeadLetter) bool {
		fmt.Println(q.Subject(d.Function), d.Attempts, d.Reason, d.Event == nil)
		return true
	})
	fmt.Println(err)
	// Output:
	// DEADLETTER 1 <nil>
	// deadletter.billing 3 card declined true
	// <nil>
}
