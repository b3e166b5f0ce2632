package e2e

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/app/meshmap/meshmaptest"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/internal/telemetry"
	"github.com/fnmesh/fnmesh/workers"
)

// mesh is a running piece of fnmesh: a real embedded broker with the
// default streams and one Telemetry shared by every component, as in
// `fnmesh up` (trigger side) and a worker process (function side).
type mesh struct {
	srv *embedded.Server
	m   *config.Mesh
	tel *telemetry.Telemetry
	rec *tracetest.SpanRecorder // nil when tp is not a recorder

	mu      sync.Mutex
	running []func() // stop functions of the workers started
}

// newMesh starts a broker and builds the telemetry from tp (a span
// recorder when nil). Metrics are served by tel.MetricsHandler.
func newMesh(t testing.TB, tp trace.TracerProvider) *mesh {
	t.Helper()
	ms := &mesh{srv: brokertest.Server(t, ""), m: meshmaptest.Mesh()}
	if tp == nil {
		ms.rec = tracetest.NewSpanRecorder()
		sdk := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(ms.rec))
		t.Cleanup(func() { _ = sdk.Shutdown(context.Background()) })
		tp = sdk
	}
	tel, err := telemetry.NewForTest(tp, nil)
	if err != nil {
		t.Fatal(err)
	}
	ms.tel = tel
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	meshmaptest.Client(t, ms.srv, ms.m) // creates the streams
	// Stop every worker at once (each drain waits for its last pull to
	// expire) before the server stops.
	t.Cleanup(func() {
		ms.mu.Lock()
		defer ms.mu.Unlock()
		var wg sync.WaitGroup
		for _, stop := range ms.running {
			wg.Go(stop)
		}
		wg.Wait()
	})
	return ms
}

// client is a broker client on its own connection with the publish hook,
// as each process has. The connection is closed when the test ends.
func (ms *mesh) client(t testing.TB) *broker.Client {
	t.Helper()
	return ms.clientOn(t, brokertest.Conn(t, ms.srv))
}

func (ms *mesh) clientOn(t testing.TB, nc *nats.Conn) *broker.Client {
	t.Helper()
	c, err := broker.New(nc, meshmap.Broker(ms.m),
		broker.WithHooks(broker.PublishHooks{Before: ms.tel.BeforePublish}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// function declares a function with fast retry settings that takes the
// events of type typ.
func function(name, typ string, retry int, mod ...func(*config.Function)) *config.Function {
	fn := &config.Function{
		Name:     name,
		Filters:  []config.Filter{{Exact: map[string]string{"type": typ}}},
		Run:      config.Run{Command: []string{"unused"}},
		AckWait:  config.Duration(5 * time.Second),
		Delivery: config.Delivery{Retry: &retry, BackoffDelay: config.Duration(50 * time.Millisecond)},
	}
	for _, f := range mod {
		f(fn)
	}
	return fn
}

// startWorker runs a worker of fn with the telemetry's delivery hook on
// its own connection until the test ends, and waits until it is ready.
func (ms *mesh) startWorker(t testing.TB, fn *config.Function, h workers.Handler) {
	t.Helper()
	// The worker's connection is closed once it stopped, not before: a
	// connection closed under a running worker is an error.
	nc, err := nats.Connect(ms.srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	cfg := meshmap.Worker(ms.m, fn)
	cfg.ShutdownTimeout = 5 * time.Second
	wb, err := meshmap.WorkerBroker(ms.clientOn(t, nc), ms.m)
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	w, err := workers.New(cfg, wb, h, workers.WithHooks(workers.Hooks{Deliver: ms.tel.Deliver}))
	if err != nil {
		nc.Close()
		t.Fatalf("workers.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(ctx); err != nil {
			t.Errorf("worker %s: %v", fn.Name, err)
		}
	}()
	ms.mu.Lock()
	ms.running = append(ms.running, func() { cancel(); <-done; nc.Close() })
	ms.mu.Unlock()
	poll.Until(t, 10*time.Second, "worker "+fn.Name+" ready", w.Ready)
}

// handlerFunc adapts a function to workers.Handler.
type handlerFunc func(ctx context.Context, e event.Event) ([]event.Event, error)

func (f handlerFunc) Handle(ctx context.Context, e event.Event) ([]event.Event, error) {
	return f(ctx, e)
}

// newEvent is a valid event.
func newEvent(id, typ string) *event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource("/shop/api")
	e.SetType(typ)
	_ = e.SetData("application/json", map[string]int{"order": 42})
	return &e
}

// postBinary POSTs an event in CloudEvents binary mode and returns the status.
func postBinary(t testing.TB, url, id, typ string, hdr http.Header) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"order":42}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = hdr.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("Ce-Specversion", "1.0")
	req.Header.Set("Ce-Id", id)
	req.Header.Set("Ce-Source", "/shop/api")
	req.Header.Set("Ce-Type", typ)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
