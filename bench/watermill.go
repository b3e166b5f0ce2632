package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// wm is Watermill with watermill-nats in JetStream mode, configured as its
// own tests do (DeliverAll, AckExplicit), with a durable queue group of
// one subscription per unit of concurrency, synchronous acks after the
// handler and message ids on publish.
type wm struct {
	url   string
	s     settings
	gen   int
	admin *nats.Conn
	js    jetstream.JetStream
	pub   *wmnats.Publisher
	topic string
	log   watermill.LoggerAdapter
}

func newWatermill(url string, s settings) *wm { return &wm{url: url, s: s, log: watermill.NopLogger{}} }

func (w *wm) name() string { return "Watermill" }

func (w *wm) jsConfig() wmnats.JetStreamConfig {
	return wmnats.JetStreamConfig{
		TrackMsgId:       true,
		DurablePrefix:    "peers",
		SubscribeOptions: []nats.SubOpt{nats.DeliverAll(), nats.AckExplicit()},
	}
}

func (w *wm) setup(ctx context.Context) error {
	var err error
	if w.admin, err = nats.Connect(w.url, nats.Name("peers-watermill-admin")); err != nil {
		return err
	}
	if w.js, err = jetstream.New(w.admin); err != nil {
		return err
	}
	w.pub, err = wmnats.NewPublisher(wmnats.PublisherConfig{
		URL:         w.url,
		NatsOptions: []nats.Option{nats.Name("peers-watermill-publisher")},
		Marshaler:   &wmnats.NATSMarshaler{},
		JetStream:   w.jsConfig(),
	}, w.log)
	if err != nil {
		return err
	}
	return w.reset(ctx)
}

func (w *wm) reset(ctx context.Context) error {
	if w.topic != "" {
		_ = w.js.DeleteStream(ctx, w.streamName())
	}
	w.gen++
	w.topic = fmt.Sprintf("peers.wm%d", w.gen)
	_, err := w.js.CreateStream(ctx, jetstream.StreamConfig{
		Name: w.streamName(), Subjects: []string{w.topic}, Storage: jetstream.FileStorage,
	})
	return err
}

func (w *wm) streamName() string { return "PEERS_WM_" + strconv.Itoa(w.gen) }

func (w *wm) publish(_ context.Context, i int, payload []byte) error {
	return w.pub.Publish(w.topic, message.NewMessage(watermill.NewUUID(), payload))
}

func (w *wm) consume(ctx context.Context, seen func([]byte)) (func(), error) {
	sub, err := wmnats.NewSubscriber(wmnats.SubscriberConfig{
		URL:              w.url,
		NatsOptions:      []nats.Option{nats.Name("peers-watermill-subscriber")},
		QueueGroupPrefix: "peers",
		SubscribersCount: w.s.concurrency,
		AckWaitTimeout:   30 * time.Second,
		CloseTimeout:     5 * time.Second,
		Unmarshaler:      &wmnats.NATSMarshaler{},
		JetStream:        w.jsConfig(),
	}, w.log)
	if err != nil {
		return nil, err
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 5 * time.Second}, w.log)
	if err != nil {
		return nil, err
	}
	router.AddConsumerHandler("peers", w.topic, sub, func(m *message.Message) error {
		seen(m.Payload)
		return nil
	})
	done := make(chan error, 1)
	go func() { done <- router.Run(ctx) }()
	select {
	case <-router.Running():
	case err := <-done:
		return nil, fmt.Errorf("router: %w", err)
	}
	return func() {
		_ = router.Close()
		<-done
		_ = sub.Close()
	}, nil
}

func (w *wm) close() {
	if w.pub != nil {
		_ = w.pub.Close()
	}
	if w.js != nil && w.topic != "" {
		_ = w.js.DeleteStream(context.Background(), w.streamName())
	}
	if w.admin != nil {
		w.admin.Close()
	}
}
