package triggers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker"
)

// observerLog records what triggers tell their Observer.
type observerLog struct {
	mu     sync.Mutex
	counts map[string]int // "trigger/outcome"
	ticks  []string       // "trigger@tick"
	ended  []error
}

func newObserverLog() *observerLog { return &observerLog{counts: map[string]int{}} }

func (o *observerLog) CountReceived(_ context.Context, trigger, outcome string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.counts[trigger+"/"+outcome] += n
}

func (o *observerLog) StartTick(ctx context.Context, trigger string, tick time.Time) (context.Context, func(error)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ticks = append(o.ticks, trigger+"@"+tick.UTC().Format(time.RFC3339))
	return ctx, func(err error) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.ended = append(o.ended, err)
	}
}

func (o *observerLog) snapshot() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return maps.Clone(o.counts)
}

func TestMuxCountsReceivedEvents(t *testing.T) {
	env := newTrEnv(t, 0)
	cfg := muxConfig()
	cfg.Ingest.Token = []byte("s3cret")
	obs := newObserverLog()
	mx, err := NewMux(cfg, env.client,
		WithWebhookIDs(env.bucket(t, env.client, WebhookBucket, WebhookDedupTTL)),
		WithObserver(obs),
	)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(mx)
	t.Cleanup(hs.Close)

	ce := func(id string) http.Header {
		return http.Header{
			"Authorization":  {"Bearer s3cret"},
			"Ce-Specversion": {"1.0"}, "Ce-Id": {id}, "Ce-Source": {"/test"},
			"Ce-Type": {"com.example.ingested"}, "Content-Type": {"text/plain"},
		}
	}
	batch := `[` +
		`{"specversion":"1.0","id":"b1","source":"/test","type":"com.example.ingested"},` +
		`{"specversion":"1.0","id":"b2","source":"/test","type":"com.example.ingested"}]`
	gh := hookCases()[0]
	ghName := cfg.Hooks[0].Name
	tests := []struct {
		name       string
		method     string
		path       string
		header     http.Header
		body       string
		wantStatus int
		want       map[string]int // counts added by this request
	}{
		{name: "stored", method: "POST", path: "/events", header: ce("a"), body: "hi", wantStatus: 202,
			want: map[string]int{"ingest/accepted": 1}},
		{name: "stored again", method: "POST", path: "/events", header: ce("a"), body: "hi", wantStatus: 202,
			want: map[string]int{"ingest/duplicate": 1}},
		{name: "batch", method: "POST", path: "/events",
			header: http.Header{"Authorization": {"Bearer s3cret"}, "Content-Type": {"application/cloudevents-batch+json"}},
			body:   batch, wantStatus: 202, want: map[string]int{"ingest/accepted": 2}},
		{name: "no token", method: "POST", path: "/events", header: http.Header{"Ce-Id": {"x"}}, wantStatus: 401,
			want: map[string]int{"ingest/unauthorized": 1}},
		{name: "invalid event", method: "POST", path: "/events",
			header: http.Header{"Authorization": {"Bearer s3cret"}, "Ce-Specversion": {"1.0"}, "Ce-Id": {"x"}, "Content-Type": {"text/plain"}},
			body:   "hi", wantStatus: 400, want: map[string]int{"ingest/rejected": 1}},
		{name: "not an event", method: "GET", path: "/events", wantStatus: 405, want: map[string]int{}},
		{name: "route", method: "POST", path: "/orders", body: "{}", wantStatus: 202,
			want: map[string]int{"orders-api/accepted": 1}},
		{name: "webhook", method: "POST", path: "/hooks/github/", header: gh.sign(t, []byte(gh.body), gh.secret, time.Now()), body: gh.body,
			wantStatus: 202, want: map[string]int{ghName + "/accepted": 1}},
		{name: "webhook with a bad signature", method: "POST", path: "/hooks/github/", header: gh.sign(t, []byte(gh.body), []byte("wrong"), time.Now()), body: gh.body,
			wantStatus: 401, want: map[string]int{ghName + "/unauthorized": 1}},
		{name: "unknown path", method: "POST", path: "/nope", wantStatus: 404, want: map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := obs.snapshot()
			a := trDo(t, tt.method, hs.URL+tt.path, tt.header, tt.body)
			if a.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", a.status, tt.wantStatus, a.body)
			}
			after := obs.snapshot()
			got := map[string]int{}
			for k, v := range after {
				if d := v - before[k]; d != 0 {
					got[k] = d
				}
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("counted %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPublishOutcome(t *testing.T) {
	tests := []struct {
		name string
		ack  broker.Ack
		err  error
		want string
	}{
		{name: "stored", want: ReceivedAccepted},
		{name: "duplicate", ack: broker.Ack{Duplicate: true}, want: ReceivedDuplicate},
		{name: "malformed", err: fmt.Errorf("x: %w", broker.ErrMalformedEvent), want: ReceivedRejected},
		{name: "unavailable", err: fmt.Errorf("x: %w", broker.ErrUnavailable), want: ReceivedUnavailable},
		{name: "storage full", err: fmt.Errorf("x: %w", broker.ErrRejected), want: ReceivedUnavailable},
		{name: "cancelled", err: context.Canceled, want: ReceivedUnavailable},
		{name: "other", err: errors.New("boom"), want: ReceivedError},
	}
	for _, tt := range tests {
		if got := publishOutcome(tt.ack, tt.err); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCronTickIsObserved(t *testing.T) {
	env := newTrEnv(t, 0)
	obs := newObserverLog()
	clk := newFakeClock(time.Date(2026, 3, 1, 1, 59, 30, 0, time.UTC))
	c, err := NewCron(cronTrigger("0 2 * * *", "UTC", nil), env.client, WithClock(clk), WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	clk.idle(t)
	for i := 0; len(obs.snapshot()) == 0; i++ {
		if i > 1000 {
			t.Fatal("no tick counted")
		}
		clk.step(t)
		clk.idle(t)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.ticks) != 1 || obs.ticks[0] != "nightly@2026-03-01T02:00:00Z" {
		t.Errorf("ticks %v, want [nightly@2026-03-01T02:00:00Z]", obs.ticks)
	}
	if len(obs.ended) != 1 || obs.ended[0] != nil {
		t.Errorf("tick spans ended with %v, want one nil", obs.ended)
	}
	if obs.counts["nightly/accepted"] != 1 {
		t.Errorf("counts %v, want nightly/accepted 1", obs.counts)
	}
}
