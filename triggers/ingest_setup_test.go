package triggers

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/broker/embedded"
)

// update rewrites the golden files under testdata/ instead of comparing.
var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// ingestEnv is a real embedded broker, a client on it with the EVENTS
// stream, and an Ingest served over loopback HTTP.
type ingestEnv struct {
	srv    *embedded.Server
	nc     *nats.Conn
	client *broker.Client
	http   *httptest.Server
	url    string
}

// newIngestEnv starts the broker (streams, brokertest.Streams() when
// nil) and an httptest server running NewIngest(client, cfg).
func newIngestEnv(t testing.TB, streams []broker.StreamSpec, cfg IngestConfig, opts ...nats.Option) *ingestEnv {
	t.Helper()
	srv := brokertest.Server(t, "")
	return newIngestEnvOn(t, srv, streams, cfg, opts...)
}

func newIngestEnvOn(t testing.TB, srv *embedded.Server, streams []broker.StreamSpec, cfg IngestConfig, opts ...nats.Option) *ingestEnv {
	t.Helper()
	return newIngestEnvWith(t, srv, streams, cfg, nil, opts...)
}

// newIngestEnvWith is newIngestEnvOn with options for the Ingest.
func newIngestEnvWith(t testing.TB, srv *embedded.Server, streams []broker.StreamSpec, cfg IngestConfig, iopts []Option, opts ...nats.Option) *ingestEnv {
	t.Helper()
	if streams == nil {
		streams = brokertest.Streams()
	}
	nc := brokertest.Conn(t, srv, opts...)
	client, err := broker.New(nc, broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.EnsureStreams(ctx, streams...); err != nil {
		t.Fatalf("ensure streams: %v", err)
	}
	hs := httptest.NewServer(mustIngest(t, cfg, client, iopts...))
	t.Cleanup(hs.Close)
	return &ingestEnv{srv: srv, nc: nc, client: client, http: hs, url: hs.URL + "/events"}
}

// mustIngest builds an Ingest or fails the test.
func mustIngest(t testing.TB, cfg IngestConfig, pub EventPublisher, opts ...Option) *Ingest {
	t.Helper()
	in, err := NewIngest(cfg, pub, opts...)
	if err != nil {
		t.Fatalf("NewIngest: %v", err)
	}
	return in
}

// stored reads every event of the EVENTS stream.
func (env *ingestEnv) stored(t testing.TB) []broker.StoredEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []broker.StoredEvent
	err := env.client.ReadStream(ctx, "EVENTS", "", func(se broker.StoredEvent) bool {
		out = append(out, se)
		return true
	})
	if err != nil {
		t.Fatalf("read stream: %v", err)
	}
	for _, se := range out {
		if se.Err != nil {
			t.Fatalf("stored message %d does not decode: %v", se.Sequence, se.Err)
		}
	}
	return out
}

// answer is an HTTP answer read in full.
type httpAnswer struct {
	status int
	header http.Header
	body   []byte
}

// errorJSON decodes an error answer.
func (a httpAnswer) errorJSON(t testing.TB) errorBody {
	t.Helper()
	var eb errorBody
	if err := json.Unmarshal(a.body, &eb); err != nil {
		t.Fatalf("answer %d is not a JSON error body: %v: %s", a.status, err, a.body)
	}
	return eb
}

// ingestDo does one request to url and reads the answer.
func ingestDo(t testing.TB, method, url string, hdr http.Header, body io.Reader) httpAnswer {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return httpAnswer{status: resp.StatusCode, header: resp.Header, body: b}
}

// binaryHeaders are the headers of a valid binary-mode event; kv pairs
// override ("" deletes).
func binaryHeaders(kv ...string) http.Header {
	h := http.Header{
		"Ce-Specversion": {"1.0"},
		"Ce-Id":          {"evt-1"},
		"Ce-Source":      {"/test/source"},
		"Ce-Type":        {"com.example.tested"},
		"Content-Type":   {"text/plain"},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := http.CanonicalHeaderKey(kv[i])
		if kv[i+1] == "" {
			delete(h, k)
			continue
		}
		h[k] = []string{kv[i+1]}
	}
	return h
}

// structuredHeaders is the Content-Type of structured mode.
func structuredHeaders() http.Header {
	return http.Header{"Content-Type": {MediaTypeStructured}}
}

func batchHeaders() http.Header {
	return http.Header{"Content-Type": {MediaTypeBatch + "; charset=utf-8"}}
}

// structuredBody is a valid structured-mode event with the members of
// replace changed (a nil value deletes the member).
func structuredBody(replace map[string]any) string {
	m := map[string]any{
		"specversion": "1.0",
		"id":          "evt-1",
		"source":      "/test/source",
		"type":        "com.example.tested",
		"data":        map[string]any{"n": 1},
	}
	for k, v := range replace {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func strBody(s string) io.Reader { return strings.NewReader(s) }

// httpServer serves h on loopback and returns the URL of /events.
func httpServer(t testing.TB, h http.Handler) string {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL + "/events"
}
