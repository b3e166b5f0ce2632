package triggers

import (
	"context"
	"github.com/fnmesh/fnmesh/internal/logtest"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/broker/embedded"
)

// trEnv is a real embedded broker with the EVENTS stream on "events.>" and
// a client on its own connection.
type trEnv struct {
	srv    *embedded.Server
	stream broker.StreamSpec
	client *broker.Client
}

// newTrEnv starts a broker whose EVENTS stream has the given duplicate
// window (the default when zero).
func newTrEnv(t testing.TB, dupWindow time.Duration) *trEnv {
	t.Helper()
	s := brokertest.Streams()[0]
	s.DuplicateWindow = dupWindow
	srv := brokertest.Server(t, "")
	return &trEnv{srv: srv, stream: s, client: brokertest.Client(t, srv, s)}
}

// newClient opens another client, as a second process would.
func (env *trEnv) newClient(t testing.TB) *broker.Client {
	t.Helper()
	return brokertest.Client(t, env.srv, env.stream)
}

// bucket opens (creating it if needed) a key-value bucket through c.
func (env *trEnv) bucket(t testing.TB, c *broker.Client, name string, ttl time.Duration) jetstream.KeyValue {
	t.Helper()
	kv, err := c.KeyValue(context.Background(), broker.KVConfig{Bucket: name, TTL: ttl})
	if err != nil {
		t.Fatalf("bucket %s: %v", name, err)
	}
	return kv
}

// events reads every event stored in EVENTS, in stream order.
func (env *trEnv) events(t testing.TB) []*event.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []*event.Event
	err := env.client.ReadStream(ctx, "EVENTS", "", func(se broker.StoredEvent) bool {
		if se.Err != nil {
			t.Errorf("message %d does not decode: %v", se.Sequence, se.Err)
			return true
		}
		out = append(out, se.Event)
		return true
	})
	if err != nil {
		t.Fatalf("read EVENTS: %v", err)
	}
	return out
}

// trAnswer is an HTTP answer read in full.
type trAnswer struct {
	status int
	header http.Header
	body   string
}

// trDo sends one request and reads the answer (ingestDo, with the body as
// a string).
func trDo(t testing.TB, method, url string, hdr http.Header, body string) trAnswer {
	t.Helper()
	a := ingestDo(t, method, url, hdr, strings.NewReader(body))
	return trAnswer{status: a.status, header: a.header, body: string(a.body)}
}

// logger returns a logger writing text lines at debug level into b.
func textLogger(b *logtest.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// flakyPublisher fails the first n publishes with broker.ErrUnavailable,
// then passes events to the real client.
type flakyPublisher struct {
	mu   sync.Mutex
	fail int
	next EventPublisher
}

func (p *flakyPublisher) Publish(ctx context.Context, e *event.Event) (broker.Ack, error) {
	p.mu.Lock()
	if p.fail > 0 {
		p.fail--
		p.mu.Unlock()
		return broker.Ack{}, broker.ErrUnavailable
	}
	p.mu.Unlock()
	return p.next.Publish(ctx, e)
}

// ext returns extension name of e as a string ("" when absent).
func ext(e *event.Event, name string) string {
	v, ok := e.Extensions()[name]
	if !ok {
		return ""
	}
	s, _ := v.(string)
	return s
}
