package triggers

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// benchConcurrency is the number of clients posting at once.
const benchConcurrency = 32

// benchPayload is a JSON array of 266 bytes: ingest checks that data
// declared as JSON is JSON.
var benchPayload = []byte("[" + strings.Repeat(`{"sku":"A-1","qty":2},`, 11) + `{"sku":"A-12","qty":2}]`)

// BenchmarkIngestBinary posts binary-mode events to the ingest handler on
// a real embedded broker over loopback HTTP, 32 clients at once; the
// "baseline" sub-benchmark does the same against a handler that only reads
// the body and publishes it, so the ratio of the two is the cost of ingest.
func BenchmarkIngestBinary(b *testing.B) {
	b.Run("ingest", benchIngest)
	b.Run("baseline-publish-only", benchBaseline)
}

// BenchmarkPublishOnlyBaseline is the baseline alone: a minimal net/http
// handler that reads the body and calls js.Publish, over loopback HTTP, 32
// clients at once.
func BenchmarkPublishOnlyBaseline(b *testing.B) { benchBaseline(b) }

func benchIngest(b *testing.B) {
	srv := brokertest.Server(b, "")
	client := brokertest.Client(b, srv)
	hs := httptest.NewServer(mustIngest(b, IngestConfig{}, client))
	b.Cleanup(hs.Close)
	benchPost(b, hs.URL+"/events", binaryEvents())
}

// binaryEvents sets the headers of binary-mode events, a new id each.
// Both sides of the benchmark post them: the baseline is what taking the
// same request and storing its body costs.
func binaryEvents() func(*http.Request) {
	var seq atomic.Uint64
	return func(req *http.Request) {
		h := req.Header
		h["Ce-Specversion"] = []string{"1.0"}
		h["Ce-Id"] = []string{strconv.FormatUint(seq.Add(1), 10)}
		h["Ce-Source"] = []string{"/bench"}
		h["Ce-Type"] = []string{"com.example.bench"}
		h["Content-Type"] = []string{"application/json"}
	}
}

func benchBaseline(b *testing.B) {
	srv := brokertest.Server(b, "")
	client := brokertest.Client(b, srv)
	js, err := jetstream.New(client.Conn())
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if _, err := js.Publish(r.Context(), "events.com.example.bench", body); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	b.Cleanup(hs.Close)
	benchPost(b, hs.URL+"/events", binaryEvents())
}

// benchPost posts benchPayload from benchConcurrency goroutines, letting
// prepare set the headers of each request, and fails on any answer but 202.
func benchPost(b *testing.B, url string, prepare func(*http.Request)) {
	tr := &http.Transport{MaxIdleConns: 2 * benchConcurrency, MaxIdleConnsPerHost: 2 * benchConcurrency}
	b.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	b.SetParallelism(max(1, benchConcurrency/runtime.GOMAXPROCS(0)))
	b.SetBytes(int64(len(benchPayload)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(benchPayload))
			if err != nil {
				b.Error(err)
				return
			}
			prepare(req)
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				b.Errorf("status %d: %s", resp.StatusCode, body)
				return
			}
		}
	})
}
