package workers_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers"
)

type handlerFunc func(ctx context.Context, e event.Event) ([]event.Event, error)

func (f handlerFunc) Handle(ctx context.Context, e event.Event) ([]event.Event, error) {
	return f(ctx, e)
}

// A worker for one function: it handles the events its filters select and
// stops (draining) when its context ends.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "fnmesh-example")
	defer os.RemoveAll(dir)
	srv, err := embedded.Start(embedded.Config{DataDir: dir}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown(context.Background())
	nc, _ := srv.Connect("example")
	defer nc.Close()
	c, _ := broker.New(nc, broker.Config{})

	m := &config.Mesh{}
	m.SetDefaults() // the EVENTS stream on events.>
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.EnsureStreams(ctx, meshmap.Streams(m)...); err != nil {
		fmt.Println(err)
		return
	}

	cfg := workers.Config{
		Function:        "greet",
		Stream:          "EVENTS",
		Filters:         []workers.FilterSpec{{Exact: map[string]string{"type": "com.example.hello"}}},
		Delivery:        workers.Delivery{DeadLetter: new(false)}, // no dead-letter stream here
		StartFrom:       workers.StartAll,                         // also the events stored before the consumer exists
		ShutdownTimeout: 5 * time.Second,
	}
	handled := make(chan string)
	w, err := workers.New(cfg, workers.Broker{Consumers: c, Publisher: c}, handlerFunc(func(_ context.Context, e event.Event) ([]event.Event, error) {
		handled <- string(e.Data())
		return nil, nil // nil: acknowledge
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()

	e := event.New()
	e.SetID("1")
	e.SetSource("/example")
	e.SetType("com.example.hello")
	_ = e.SetData("text/plain", "hello, world")
	if _, err := c.Publish(ctx, &e); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(<-handled)
	cancel()
	fmt.Println("Run returned", <-done)
	// Output:
	// hello, world
	// Run returned <nil>
}

func ExampleFilterSubjects() {
	filters := []workers.FilterSpec{{Any: []workers.FilterSpec{
		{Exact: map[string]string{"type": "com.example.order.created"}},
		{Prefix: map[string]string{"type": "com.example.user."}},
	}}}
	fmt.Println(workers.FilterSubjects("events", filters))
	fmt.Println(workers.FilterSubjects("events", []workers.FilterSpec{{CESQL: "source LIKE '/shop/%'"}}))
	// Output:
	// [events.com.example.order.created events.com.example.user.>]
	// [events.>]
}

func ExampleCompileFilters() {
	f, err := workers.CompileFilters([]workers.FilterSpec{
		{Prefix: map[string]string{"type": "com.example."}},
		{CESQL: "source LIKE '/shop/%'"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	e := event.New()
	e.SetID("1")
	e.SetType("com.example.order.created")
	e.SetSource("/shop/api")
	ok, _ := f.Match(&e)
	fmt.Println(ok)
	e.SetSource("/crm")
	ok, _ = f.Match(&e)
	fmt.Println(ok)

	_, err = workers.CompileFilters([]workers.FilterSpec{{Any: []workers.FilterSpec{{CESQL: "type ="}}}})
	fmt.Println(err != nil)
	// Output:
	// true
	// false
	// true
}

func ExampleConsumerConfig() {
	cc := workers.ConsumerConfig(workers.Config{
		Function:    "fulfil-order",
		Stream:      "EVENTS",
		Filters:     []workers.FilterSpec{{Exact: map[string]string{"type": "com.example.order.created"}}},
		Concurrency: 8,
		MaxReplicas: 10,
	})
	fmt.Println(cc.Durable, cc.FilterSubjects, cc.AckWait, cc.MaxDeliver, cc.MaxAckPending)
	// Output:
	// fulfil-order [events.com.example.order.created] 30s -1 1080
}

func ExampleDeliveryFrom() {
	h := handlerFunc(func(ctx context.Context, e event.Event) ([]event.Event, error) {
		if d, ok := workers.DeliveryFrom(ctx); ok && d.IsLast() {
			fmt.Println("last attempt for", e.ID())
		}
		return nil, nil
	})
	_ = h
	fmt.Println(workers.DeliveryAttempt{Attempt: 4, Last: 4}.IsLast())
	// Output: true
}
