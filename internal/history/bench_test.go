package history_test

import (
	"context"
	"fmt"
	"testing"
	"time"

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

// BenchmarkCounter is how fast `up`'s run metrics read the history: b.N
// records stored in batches of DefaultBatchSize, then counted by a Counter
// from the start (records/s is the figure; compare with the pipeline's
// events/s, each event leaving one record per function).
func BenchmarkCounter(b *testing.B) {
	srv := brokertest.Server(b, "")
	cfg := history.Config{}
	brokertest.Ensure(b, brokertest.Client(b, srv), cfg.StreamSpec())
	rec, err := history.NewRecorder(brokertest.Conn(b, srv), cfg)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for i := range b.N {
		rec.Record(history.Record{Function: "f", Outcome: "ok", Duration: history.Duration(time.Millisecond), EventID: fmt.Sprint(i)})
		if (i+1)%4096 == 0 {
			// Stay under the recorder's bounds (buffer and PubAck window):
			// 4,096 records of one function are one batch per shard, 16
			// messages. (With four functions one flush made 64 messages,
			// the whole window, and records were dropped.)
			for rec.Stats().Recorded < uint64(i+1) {
				time.Sleep(time.Millisecond)
			}
		}
	}
	if err := rec.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	if st := rec.Stats(); st.Dropped+st.Failed != 0 {
		b.Fatalf("recorder dropped %d, failed %d", st.Dropped, st.Failed)
	}
	var obs tally
	c, err := history.NewCounter(brokertest.Conn(b, srv), cfg, &obs, start.Add(-time.Second), nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.ResetTimer()
	go func() { _ = c.Run(ctx); close(done) }()
	for obs.total() < b.N {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
