package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/triggers"
)

// countingExporter is a span exporter that only counts.
type countingExporter struct{ n atomic.Int64 }

func (c *countingExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	c.n.Add(int64(len(spans)))
	return nil
}

func (c *countingExporter) Shutdown(context.Context) error { return nil }

// BenchmarkPipelineTracing measures the events per second through the
// whole pipeline - HTTP POST to the ingest endpoint, publish, function A
// (which returns one event), publish, function B - with tracing off (the
// no-op provider Setup installs without an exporter) and with every span
// sampled, batched and exported either to memory or over OTLP/HTTP to a
// local receiver. Each event makes five spans. Metrics are on in every
// case, as in production. Broker, workers and HTTP run in the benchmark's
// process, so cpu-µs/event (process CPU time per event) and allocs/op
// (allocations per event) hold the whole pipeline's cost; they vary much
// less than events/s on a shared machine.
//
//	go test -run='^$' -bench=PipelineTracing -benchtime=3000x ./internal/e2e
func BenchmarkPipelineTracing(b *testing.B) {
	cases := []struct {
		name string
		tp   func(b *testing.B) (trace.TracerProvider, func() int64)
	}{
		{name: "off", tp: func(*testing.B) (trace.TracerProvider, func() int64) {
			return noop.NewTracerProvider(), func() int64 { return 0 }
		}},
		{name: "memory", tp: func(b *testing.B) (trace.TracerProvider, func() int64) {
			exp := &countingExporter{}
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(exp))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			return tp, func() int64 { _ = tp.ForceFlush(context.Background()); return exp.n.Load() }
		}},
		{name: "otlp", tp: func(b *testing.B) (trace.TracerProvider, func() int64) {
			var bytes atomic.Int64
			sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := io.Copy(io.Discard, r.Body)
				bytes.Add(n)
				w.Header().Set("Content-Type", "application/x-protobuf")
			}))
			b.Cleanup(sink.Close)
			exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(sink.URL+"/v1/traces"))
			if err != nil {
				b.Fatal(err)
			}
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(exp))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			return tp, func() int64 { _ = tp.ForceFlush(context.Background()); return bytes.Load() }
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			tp, exported := c.tp(b)
			ms := newMesh(b, tp)
			var handled atomic.Int64
			concurrent := func(f *config.Function) { f.Concurrency = 64 }
			ms.startWorker(b, function("A", orderCreated, 3, concurrent), handlerFunc(func(context.Context, event.Event) ([]event.Event, error) {
				out := event.New()
				out.SetType(orderFulfilled)
				return []event.Event{out}, nil
			}))
			ms.startWorker(b, function("B", orderFulfilled, 3, concurrent), handlerFunc(func(context.Context, event.Event) ([]event.Event, error) {
				handled.Add(1)
				return nil, nil
			}))
			mux := http.NewServeMux()
			ingest, err := triggers.NewIngest(triggers.IngestConfig{}, ms.client(b))
			if err != nil {
				b.Fatal(err)
			}
			mux.Handle("POST /events", ingest)
			hs := httptest.NewServer(ms.tel.HTTP(mux))
			b.Cleanup(hs.Close)
			const publishers, warmup = 16, 300
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: publishers}}

			post := func(n int, id string) {
				var wg sync.WaitGroup
				var next atomic.Int64
				for range publishers {
					wg.Go(func() {
						for i := next.Add(1); i <= int64(n); i = next.Add(1) {
							req, _ := http.NewRequest(http.MethodPost, hs.URL+"/events", strings.NewReader(`{"order":1}`))
							req.Header = http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {fmt.Sprint(id, i)}, "Ce-Source": {"/bench"},
								"Ce-Type": {orderCreated}, "Content-Type": {"application/json"}}
							resp, err := hc.Do(req)
							if err != nil {
								b.Error(err)
								return
							}
							_, _ = io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							if resp.StatusCode != http.StatusAccepted {
								b.Errorf("POST: %d", resp.StatusCode)
								return
							}
						}
					})
				}
				wg.Wait()
				deadline := time.Now().Add(2 * time.Minute)
				for handled.Load() < int64(n) {
					if time.Now().After(deadline) {
						b.Fatalf("%d of %d events reached function B", handled.Load(), n)
					}
					time.Sleep(time.Millisecond)
				}
			}
			// Warm up connections, consumers and the stream's files.
			post(warmup, "warmup-")
			handled.Store(0)
			time.Sleep(100 * time.Millisecond)
			before := exported()

			b.ReportAllocs()
			b.ResetTimer()
			start, cpu := time.Now(), processCPU()
			post(b.N, "e-")
			elapsed, cpu := time.Since(start), processCPU()-cpu
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			if cpu > 0 {
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event")
			}
			time.Sleep(100 * time.Millisecond) // the last process spans end after the handler
			if n := exported() - before; c.name == "memory" {
				b.ReportMetric(float64(n)/float64(b.N), "spans/event")
			} else if c.name == "otlp" {
				b.ReportMetric(float64(n)/float64(b.N), "otlp-bytes/event")
			}
		})
	}
}
