package workers

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// benchSizes are the payload sizes both pipeline benchmarks run with.
var benchSizes = []int{128, 4096}

// benchPublishers publish concurrently, each waiting for its PubAck.
const benchPublishers = 8

// BenchmarkPipeline measures one event through fnmesh: broker.Publish
// (CloudEvents encoding, de-duplication id) -> one worker replica
// (concurrency 16, no-op handler) -> confirmed ack. Compare with
// BenchmarkRawJetStream for the cost of the fnmesh layers.
func BenchmarkPipeline(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("payload=%d", size), func(b *testing.B) {
			env := newEnv(b)
			var handled atomic.Int64
			done := make(chan struct{})
			target := int64(b.N)
			h := handlerFunc(func(context.Context, event.Event) ([]event.Event, error) {
				if handled.Add(1) == target {
					close(done)
				}
				return nil, nil
			})
			env.start(b, fnDecl("bench", func(f *Config) { f.Concurrency = 16 }), h, opts{})
			data := strings.Repeat("x", size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			publishParallel(b, b.N, func(i int) error {
				e := event.New()
				e.SetID(fmt.Sprint(i))
				e.SetSource("/bench")
				e.SetType("com.example.bench")
				if err := e.SetData("text/plain", data); err != nil {
					return err
				}
				_, err := env.pub.Publish(context.Background(), &e)
				return err
			})
			waitDone(b, done)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkRawJetStream is the baseline: js.Publish of the same payloads
// and a plain Consume callback that acks each message.
func BenchmarkRawJetStream(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("payload=%d", size), func(b *testing.B) {
			env := newEnv(b)
			js, err := jetstream.New(brokertest.Conn(b, env.srv))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			cons, err := js.CreateOrUpdateConsumer(ctx, "EVENTS", jetstream.ConsumerConfig{
				Durable: "raw", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 1016,
			})
			if err != nil {
				b.Fatal(err)
			}
			var handled atomic.Int64
			done := make(chan struct{})
			target := int64(b.N)
			cc, err := cons.Consume(func(msg jetstream.Msg) {
				_ = msg.Ack()
				if handled.Add(1) == target {
					close(done)
				}
			})
			if err != nil {
				b.Fatal(err)
			}
			defer cc.Stop()
			pub, err := jetstream.New(brokertest.Conn(b, env.srv))
			if err != nil {
				b.Fatal(err)
			}
			data := []byte(strings.Repeat("x", size))
			b.SetBytes(int64(size))
			b.ResetTimer()
			publishParallel(b, b.N, func(i int) error {
				_, err := pub.Publish(ctx, "events.com.example.bench", data)
				return err
			})
			waitDone(b, done)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// handlerFunc adapts a function to a Handler.
type handlerFunc func(ctx context.Context, e event.Event) ([]event.Event, error)

// Handle calls f.
func (f handlerFunc) Handle(ctx context.Context, e event.Event) ([]event.Event, error) {
	return f(ctx, e)
}

func publishParallel(b *testing.B, n int, publish func(i int) error) {
	var wg sync.WaitGroup
	var failed atomic.Value
	for g := range benchPublishers {
		wg.Go(func() {
			for i := g; i < n; i += benchPublishers {
				if err := publish(i); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
}

func waitDone(b *testing.B, done <-chan struct{}) {
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatal("not every event was handled")
	}
}
