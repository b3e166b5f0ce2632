package triggers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/cebind"
)

// respond plays a function: it consumes the order events from the EVENTS
// stream on its own connection and publishes, for each, an answer event
// carrying causationid = the order's id, until the test ends.
func respond(t *testing.T, env *trEnv) {
	t.Helper()
	client := env.newClient(t)
	js, err := jetstream.New(brokertest.Conn(t, env.srv))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cons, err := js.OrderedConsumer(ctx, "EVENTS", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{broker.Subject("events", "com.example.order.created")},
	})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		in, err := broker.DecodeMsg(m.Headers(), m.Data())
		if err != nil {
			t.Errorf("responder: %v", err)
			return
		}
		out := event.New()
		out.SetID("answer-to-" + in.ID())
		out.SetSource("/functions/price")
		out.SetType("com.example.order.priced")
		out.SetSubject("price")
		out.SetTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
		out.SetExtension(CausationIDExtension, in.ID())
		out.SetExtension("note", `50% "off"`)
		if err := out.SetData("application/json", map[string]any{"order": in.ID(), "price": 42}); err != nil {
			t.Errorf("responder: %v", err)
			return
		}
		if _, err := client.Publish(ctx, &out); err != nil && ctx.Err() == nil {
			t.Errorf("responder publish: %v", err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cc.Stop)
}

func replyRoute(timeout time.Duration) RouteConfig {
	return routeTrigger(func(c *RouteConfig) { c.Reply, c.ReplyTimeout = true, timeout })
}

func newWaiter(t *testing.T, env *trEnv) *ReplyWaiter {
	t.Helper()
	rw, err := NewReplyWaiter(brokertest.Conn(t, env.srv), ReplyConfig{SubjectPrefix: "events", DeadLetterPrefix: "deadletter"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rw.Close() })
	return rw
}

func TestRouteReplyReturnsTheAnswer(t *testing.T) {
	env := newTrEnv(t, 0)
	respond(t, env)
	url := serveRoute(t, replyRoute(10*time.Second), env.client, WithReplies(newWaiter(t, env)))

	tests := []struct {
		name string
		key  string
	}{
		{name: "generated id"},
		{name: "idempotency key", key: "order-1"},
		{name: "key that the header codec escapes", key: `order 2 at 100% "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := http.Header{"Content-Type": {"application/json"}}
			if tt.key != "" {
				hdr.Set("Idempotency-Key", tt.key)
			}
			a := trDo(t, http.MethodPost, url, hdr, `{"sku":"A1"}`)
			if a.status != http.StatusOK {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			input := cebind.UnescapeHTTPValue(a.header.Get("Ce-Causationid"))
			if tt.key != "" && input != tt.key {
				t.Errorf("answer answers %q, want %q", input, tt.key)
			}
			want := map[string]string{
				"Ce-Specversion": "1.0",
				"Ce-Id":          cebind.EscapeHTTPValue("answer-to-" + input),
				"Ce-Source":      "/functions/price",
				"Ce-Type":        "com.example.order.priced",
				"Ce-Subject":     "price",
				"Ce-Time":        "2025-01-02T03:04:05Z",
				"Ce-Note":        "50%25%20%22off%22",
				"Content-Type":   "application/json",
			}
			for k, v := range want {
				if got := a.header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			var data struct {
				Order string `json:"order"`
				Price int    `json:"price"`
			}
			if err := json.Unmarshal([]byte(a.body), &data); err != nil || data.Order != input || data.Price != 42 {
				t.Errorf("body %s: want the answer's data for %q (%v)", a.body, input, err)
			}
		})
	}
}

func TestRouteReplyTimesOut(t *testing.T) {
	env := newTrEnv(t, 0)
	url := serveRoute(t, replyRoute(300*time.Millisecond), env.client, WithReplies(newWaiter(t, env)))
	a := trDo(t, http.MethodPost, url, http.Header{"Idempotency-Key": {"slow-1"}}, `{}`)
	if a.status != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504: %s", a.status, a.body)
	}
	var body replyTimeoutBody
	if err := json.Unmarshal([]byte(a.body), &body); err != nil {
		t.Fatalf("504 body %s: %v", a.body, err)
	}
	if body.ID != "slow-1" || !body.Stored || !strings.Contains(body.Error, "will still be processed") {
		t.Errorf("504 body %+v", body)
	}
	events := env.events(t)
	if len(events) != 1 || events[0].ID() != "slow-1" {
		t.Errorf("stored %d events, want the request's event", len(events))
	}
}

func TestReplyWaiterIgnoresOtherEvents(t *testing.T) {
	env := newTrEnv(t, 0)
	rw := newWaiter(t, env)
	ctx := context.Background()
	w, err := rw.Wait(ctx, "wanted", "/test")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	publish := func(id, causation string) {
		e := event.New()
		e.SetID(id)
		e.SetSource("/test")
		e.SetType("com.example.answer")
		if causation != "" {
			e.SetExtension(CausationIDExtension, causation)
		}
		if _, err := env.client.Publish(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	publish("a", "")
	publish("b", "other")
	publish("c", "wanted")
	select {
	case e := <-w.C():
		if e.ID() != "c" {
			t.Errorf("got answer %q, want c", e.ID())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no answer delivered")
	}
	w.Stop()
	w.Stop()
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rw.Wait(ctx, "x", "/test"); err != ErrWaiterClosed {
		t.Errorf("Wait after Close: %v, want ErrWaiterClosed", err)
	}
}

// deadLetter plays a function that gives up: it consumes the order events
// and dead-letters each, as the worker does on a permanent error or the
// last attempt. Before that it dead-letters an event with the same id from
// another source, which must not answer the request.
func deadLetter(t *testing.T, env *trEnv) {
	t.Helper()
	client := env.newClient(t)
	q := brokertest.DeadLetterQueue(t, client)
	js, err := jetstream.New(brokertest.Conn(t, env.srv))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cons, err := js.OrderedConsumer(ctx, "EVENTS", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{broker.Subject("events", "com.example.order.created")},
	})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		in, err := broker.DecodeMsg(m.Headers(), m.Data())
		if err != nil {
			t.Errorf("dead-letterer: %v", err)
			return
		}
		meta, _ := m.Metadata()
		other := in.Clone()
		other.SetSource("/somewhere/else")
		for i, e := range []*event.Event{&other, in} {
			info := broker.DeadLetterInfo{Function: "price", Attempts: 3, Reason: "price list unavailable"}
			msgID := fmt.Sprintf("price/%d/%d", meta.Sequence.Stream, i)
			if _, err := q.DeadLetterEvent(ctx, e, info, msgID); err != nil && ctx.Err() == nil {
				t.Errorf("dead-letterer publish: %v", err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cc.Stop)
}

func TestRouteReplyAnswersADeadLetterAtOnce(t *testing.T) {
	env := newTrEnv(t, 0)
	deadLetter(t, env)
	const timeout = 5 * time.Second
	url := serveRoute(t, replyRoute(timeout), env.client, WithReplies(newWaiter(t, env)))
	start := time.Now()
	a := trDo(t, http.MethodPost, url, http.Header{"Idempotency-Key": {"doomed 1"}}, `{}`)
	if el := time.Since(start); el >= timeout {
		t.Errorf("answered after %s, not before the %s timeout", el, timeout)
	}
	if a.status != http.StatusBadGateway {
		t.Fatalf("status %d, want 502: %s", a.status, a.body)
	}
	var body replyFailedBody
	if err := json.Unmarshal([]byte(a.body), &body); err != nil {
		t.Fatalf("502 body %s: %v", a.body, err)
	}
	if body.ID != "doomed 1" || body.Reason != "price list unavailable" || body.Function != "price" ||
		!strings.Contains(body.Error, "dead-lettered") {
		t.Errorf("502 body %+v", body)
	}
	if events := env.events(t); len(events) != 1 || events[0].ID() != "doomed 1" {
		t.Errorf("stored %d events, want the request's event", len(events))
	}
}

func TestReplyWaiterMatchesDeadLettersByIDAndSource(t *testing.T) {
	env := newTrEnv(t, 0)
	rw := newWaiter(t, env)
	ctx := context.Background()
	w, err := rw.Wait(ctx, "wanted", "/test")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	publish := func(id, source string) {
		e := event.New()
		e.SetID(id)
		e.SetSource(source)
		e.SetType("com.example.order.created")
		info := broker.DeadLetterInfo{Function: "f", Attempts: 1, Reason: "because " + source}
		if _, err := brokertest.DeadLetterQueue(t, env.client).DeadLetterEvent(ctx, &e, info, id+source); err != nil {
			t.Fatal(err)
		}
	}
	publish("other", "/test")
	publish("wanted", "/elsewhere")
	publish("wanted", "/test")
	select {
	case f := <-w.Failed():
		if f.Reason != "because /test" || f.Function != "f" {
			t.Errorf("failure %+v, want the dead letter of (wanted, /test)", f)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no dead letter delivered")
	}
}
