package main

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/workers"
)

// fnmesh publishes CloudEvents through broker.Client and consumes them
// with one worker of package workers (concurrency = -concurrency).
type fnmesh struct {
	url     string
	s       settings
	gen     int
	pub, cn *nats.Conn
	client  *broker.Client
	// The broker's and the worker's settings of this generation: the
	// subject prefix, the events' stream, the dead letters' and the
	// function's consume settings.
	broker     broker.Config
	stream     broker.StreamSpec
	deadLetter broker.DeadLetterConfig
	worker     workers.Config
}

func newFnmesh(url string, s settings) *fnmesh { return &fnmesh{url: url, s: s} }

func (f *fnmesh) name() string { return "fnmesh" }

func (f *fnmesh) setup(ctx context.Context) error {
	var err error
	if f.pub, err = nats.Connect(f.url, nats.Name("peers-fnmesh-publisher")); err != nil {
		return err
	}
	if f.cn, err = nats.Connect(f.url, nats.Name("peers-fnmesh-worker")); err != nil {
		return err
	}
	return f.reset(ctx)
}

func (f *fnmesh) reset(ctx context.Context) error {
	f.dropStreams(ctx)
	f.gen++
	g := strconv.Itoa(f.gen)
	prefix := "peersfn" + g
	f.broker = broker.Config{SubjectPrefix: prefix}
	f.stream = broker.StreamSpec{Name: "PEERS_FN_" + g, Subjects: []string{prefix + ".>"}}
	f.deadLetter = broker.DeadLetterConfig{Stream: "PEERS_FN_DLQ_" + g, SubjectPrefix: "peersfndlq" + g}
	f.worker = workers.Config{
		Function:       "peers",
		Stream:         f.stream.Name,
		StreamSubjects: f.stream.Subjects,
		SubjectPrefix:  prefix,
		Filters:        []workers.FilterSpec{{Exact: map[string]string{"type": "dev.fnmesh.peers"}}},
		Concurrency:    f.s.concurrency,
		MaxReplicas:    1,
		// The throughput phase publishes before the worker starts.
		StartFrom: workers.StartAll,
	}
	var err error
	if f.client, err = broker.New(f.pub, f.broker); err != nil {
		return err
	}
	return f.client.EnsureStreams(ctx, f.stream, f.deadLetter.StreamSpec())
}

func (f *fnmesh) publish(ctx context.Context, i int, payload []byte) error {
	e := event.New()
	e.SetID(strconv.Itoa(i))
	e.SetSource("/peers")
	e.SetType("dev.fnmesh.peers")
	e.SetDataContentType("application/octet-stream")
	e.DataEncoded = payload
	_, err := f.client.Publish(ctx, &e)
	return err
}

type handler func(ctx context.Context, e event.Event) ([]event.Event, error)

func (h handler) Handle(ctx context.Context, e event.Event) ([]event.Event, error) { return h(ctx, e) }

func (f *fnmesh) consume(ctx context.Context, seen func([]byte)) (func(), error) {
	c, err := broker.New(f.cn, f.broker)
	if err != nil {
		return nil, err
	}
	cfg := f.worker
	cfg.Replica, cfg.ShutdownTimeout = "peers-0", 5*time.Second
	dlq, err := broker.NewDeadLetterQueue(c, f.deadLetter)
	if err != nil {
		return nil, err
	}
	wb := workers.Broker{Consumers: c, Publisher: c, DeadLetterer: dlq}
	w, err := workers.New(cfg, wb, handler(func(_ context.Context, e event.Event) ([]event.Event, error) {
		seen(e.Data())
		return nil, nil
	}))
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.Run(wctx) })
	for !w.Ready() {
		select {
		case <-ctx.Done():
			cancel()
			wg.Wait()
			return nil, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	return func() { cancel(); wg.Wait() }, nil
}

func (f *fnmesh) dropStreams(ctx context.Context) {
	if f.stream.Name == "" {
		return
	}
	js, err := jetstream.New(f.pub)
	if err != nil {
		return
	}
	for _, s := range []string{f.stream.Name, f.deadLetter.Stream} {
		_ = js.DeleteStream(ctx, s) // best effort: the server may be gone already
	}
}

func (f *fnmesh) close() {
	f.dropStreams(context.Background())
	for _, nc := range []*nats.Conn{f.pub, f.cn} {
		if nc != nil {
			nc.Close()
		}
	}
}
