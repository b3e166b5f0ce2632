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
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
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
	mesh    *config.Mesh
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
	f.mesh = &config.Mesh{
		APIVersion:    config.APIVersion,
		Kind:          config.Kind,
		SubjectPrefix: "peersfn" + g,
		Streams:       []config.Stream{{Name: "PEERS_FN_" + g, Subjects: []string{"peersfn" + g + ".>"}}},
		DeadLetter:    config.DeadLetterStream{Stream: "PEERS_FN_DLQ_" + g, SubjectPrefix: "peersfndlq" + g},
		Functions: []config.Function{{
			Name:        "peers",
			Filters:     []config.Filter{{Exact: map[string]string{"type": "dev.fnmesh.peers"}}},
			Concurrency: f.s.concurrency,
			Scaling:     config.Scaling{MaxReplicaCount: 1},
		}},
	}
	var err error
	if f.client, err = broker.New(f.pub, meshmap.Broker(f.mesh)); err != nil {
		return err
	}
	return f.client.EnsureStreams(ctx, meshmap.Streams(f.mesh)...)
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
	c, err := broker.New(f.cn, meshmap.Broker(f.mesh))
	if err != nil {
		return nil, err
	}
	cfg := meshmap.Worker(f.mesh, &f.mesh.Functions[0])
	cfg.Replica, cfg.ShutdownTimeout = "peers-0", 5*time.Second
	wb, err := meshmap.WorkerBroker(c, f.mesh)
	if err != nil {
		return nil, err
	}
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
	if f.mesh == nil {
		return
	}
	js, err := jetstream.New(f.pub)
	if err != nil {
		return
	}
	for _, s := range []string{f.mesh.Streams[0].Name, f.mesh.DeadLetter.Stream} {
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
