package broker_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// BenchmarkRawPublish is the ceiling the server sets for ingest: plain
// nats.go publishes of 256-byte messages with the headers fnmesh writes,
// one by one (msgs/s of single PublishMsg calls) or in atomic batches of
// 1,000 (jetstreamext.PublishMsgBatch), from 4 and 32 goroutines, into a
// one-replica file stream. No fnmesh code runs: compare its msgs/s with
// `fnmesh bench ingest --batch 1000` to see what is left to gain.
func BenchmarkRawPublish(b *testing.B) {
	srv := brokertest.Server(b, "")
	nc := brokertest.Conn(b, srv)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"},
		Storage: jetstream.FileStorage, Duplicates: 2 * time.Minute, AllowAtomicPublish: true}); err != nil {
		b.Fatal(err)
	}
	data := []byte(strings.Repeat("x", 256))
	var id atomic.Uint64
	msg := func() *nats.Msg {
		n := id.Add(1)
		m := nats.NewMsg("raw.dev.fnmesh.bench")
		m.Data = data
		m.Header.Set("ce-specversion", "1.0")
		m.Header.Set("ce-id", strconv.FormatUint(n, 10))
		m.Header.Set("ce-source", "/fnmesh/bench")
		m.Header.Set("ce-type", "dev.fnmesh.bench")
		m.Header.Set("Content-Type", "application/json")
		m.Header.Set("Nats-Msg-Id", fmt.Sprintf("%064x", n)) // as long as DedupID's
		m.Header.Set("Fnmesh-Codec", "raw")
		return m
	}
	const batch = 1000
	for _, goroutines := range []int{4, 32} {
		b.Run("single/g="+strconv.Itoa(goroutines), func(b *testing.B) {
			b.SetParallelism(max(1, goroutines/2)) // GOMAXPROCS 2 on the benchmark machine
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := js.PublishMsg(ctx, msg()); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
		b.Run("atomic1000/g="+strconv.Itoa(goroutines), func(b *testing.B) {
			b.SetParallelism(max(1, goroutines/2))
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				msgs := make([]*nats.Msg, batch)
				for pb.Next() {
					for i := range msgs {
						msgs[i] = msg()
					}
					if _, err := jetstreamext.PublishMsgBatch(ctx, js, msgs); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}
