package history_test

import (
	"context"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/history"
	"github.com/fnmesh/fnmesh/workers"
)

// BenchmarkDeliverHook is the cost per delivery of recording it, against
// the same hook chain without a recorder (sub-benchmark "off"): the
// records go to a real history stream.
func BenchmarkDeliverHook(b *testing.B) {
	srv := brokertest.Server(b, "")
	pub := brokertest.Client(b, srv)
	cfg := history.Config{}
	brokertest.Ensure(b, pub, cfg.StreamSpec())
	rec, err := history.NewRecorder(brokertest.Conn(b, srv), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rec.Close(context.Background()) })
	ev := event.New()
	ev.SetID("id-1")
	ev.SetType("com.example.bench")
	ev.SetSource("/bench")
	hdr := nats.Header{}
	run := func(b *testing.B, h workers.Hooks) {
		ctx := context.Background()
		for b.Loop() {
			_, done := h.Deliver(ctx, "f", hdr, &ev, 1)
			done(workers.OutcomeOK, nil)
		}
	}
	base := workers.Hooks{Deliver: func(ctx context.Context, _ string, _ nats.Header, _ *event.Event, _ uint64) (context.Context, func(string, error)) {
		return ctx, func(string, error) {}
	}}
	b.Run("off", func(b *testing.B) { run(b, base) })
	b.Run("on", func(b *testing.B) {
		run(b, history.Hooks(rec, "r-1", base))
		b.ReportMetric(float64(rec.Stats().Dropped), "dropped")
	})
}
