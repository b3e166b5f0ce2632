package main

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// raw is plain nats.go: js.Publish and a durable pull consumer read with
// Consume and Ack, one connection per side.
type raw struct {
	url     string
	s       settings
	gen     int
	pub, cn *nats.Conn
	js      jetstream.JetStream
	stream  string
	subject string
}

func newRaw(url string, s settings) *raw { return &raw{url: url, s: s} }

func (r *raw) name() string { return "nats.go" }

func (r *raw) setup(ctx context.Context) error {
	var err error
	if r.pub, err = nats.Connect(r.url, nats.Name("peers-raw-publisher")); err != nil {
		return err
	}
	if r.cn, err = nats.Connect(r.url, nats.Name("peers-raw-consumer")); err != nil {
		return err
	}
	if r.js, err = jetstream.New(r.pub); err != nil {
		return err
	}
	return r.reset(ctx)
}

func (r *raw) reset(ctx context.Context) error {
	if r.stream != "" {
		_ = r.js.DeleteStream(ctx, r.stream)
	}
	r.gen++
	r.stream = fmt.Sprintf("PEERS_RAW_%d", r.gen)
	r.subject = fmt.Sprintf("peers.raw%d.event", r.gen)
	_, err := r.js.CreateStream(ctx, jetstream.StreamConfig{
		Name: r.stream, Subjects: []string{r.subject}, Storage: jetstream.FileStorage,
	})
	return err
}

func (r *raw) publish(ctx context.Context, _ int, payload []byte) error {
	_, err := r.js.Publish(ctx, r.subject, payload)
	return err
}

func (r *raw) consume(ctx context.Context, seen func([]byte)) (func(), error) {
	js, err := jetstream.New(r.cn)
	if err != nil {
		return nil, err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, r.stream, jetstream.ConsumerConfig{
		Durable: "peers", AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		return nil, err
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		_ = m.Ack()
		seen(m.Data())
	})
	if err != nil {
		return nil, err
	}
	return func() { cc.Stop(); _ = r.cn.Flush() }, nil
}

func (r *raw) close() {
	if r.js != nil && r.stream != "" {
		_ = r.js.DeleteStream(context.Background(), r.stream)
	}
	for _, nc := range []*nats.Conn{r.pub, r.cn} {
		if nc != nil {
			nc.Close()
		}
	}
}
