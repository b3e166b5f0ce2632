package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/poll"
)

func decodeStored(t *testing.T, a httpAnswer) storedAnswer {
	t.Helper()
	if a.status != http.StatusAccepted {
		t.Fatalf("status %d, want 202: %s", a.status, a.body)
	}
	var s storedAnswer
	if err := json.Unmarshal(a.body, &s); err != nil {
		t.Fatalf("202 body %s: %v", a.body, err)
	}
	return s
}

// TestIngestDuplicate posts the same (source, id) twice, in binary then in
// structured mode: one message is stored and the second answer says so.
func TestIngestDuplicate(t *testing.T) {
	env := newIngestEnv(t, nil, IngestConfig{})
	first := decodeStored(t, ingestDo(t, http.MethodPost, env.url, binaryHeaders(), strBody("once")))
	if first.ID != "evt-1" || first.Stream != "EVENTS" || first.Seq != 1 || first.Duplicate {
		t.Fatalf("first answer %+v", first)
	}
	second := decodeStored(t, ingestDo(t, http.MethodPost, env.url, structuredHeaders(), strBody(structuredBody(nil))))
	if !second.Duplicate || second.Seq != 1 {
		t.Fatalf("second answer %+v, want duplicate of seq 1", second)
	}
	other := decodeStored(t, ingestDo(t, http.MethodPost, env.url, binaryHeaders("ce-source", "/other"), strBody("x")))
	if other.Duplicate || other.Seq != 2 {
		t.Fatalf("same id, other source: %+v, want a new message", other)
	}
	if n := len(env.stored(t)); n != 2 {
		t.Fatalf("%d events stored, want 2", n)
	}
}

// TestIngestBrokerDown shuts the broker down: publishes answer 503 with
// Retry-After, everything that does not need the broker answers as usual,
// and once a broker is back on the same port and store events are stored
// again.
func TestIngestBrokerDown(t *testing.T) {
	dir := t.TempDir()
	srv := brokertest.Server(t, dir)
	env := newIngestEnvOn(t, srv, nil, IngestConfig{}, nats.ReconnectWait(20*time.Millisecond), nats.MaxReconnects(-1))
	decodeStored(t, ingestDo(t, http.MethodPost, env.url, binaryHeaders("ce-id", "before"), strBody("x")))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "connection down", func() bool { return !env.nc.IsConnected() })

	a := ingestDo(t, http.MethodPost, env.url, binaryHeaders("ce-id", "during"), strBody("x"))
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" {
		t.Fatalf("broker down: %d Retry-After %q: %s", a.status, a.header.Get("Retry-After"), a.body)
	}
	b := ingestDo(t, http.MethodPost, env.url, batchHeaders(), strBody("["+structuredBody(nil)+"]"))
	if b.status != http.StatusServiceUnavailable || b.header.Get("Retry-After") == "" {
		t.Fatalf("batch, broker down: %d: %s", b.status, b.body)
	}
	// Answers that do not need the broker are unchanged.
	if a := ingestDo(t, http.MethodPost, env.url, binaryHeaders("ce-id", ""), strBody("x")); a.status != http.StatusBadRequest {
		t.Errorf("bad event while broker down: %d, want 400", a.status)
	}
	if a := ingestDo(t, http.MethodGet, env.url, nil, nil); a.status != http.StatusMethodNotAllowed {
		t.Errorf("GET while broker down: %d, want 405", a.status)
	}

	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.ClientURL(), "nats://"))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	again, err := embedded.Start(embedded.Config{DataDir: dir, Port: p}, nil)
	if err != nil {
		t.Fatalf("restart broker: %v", err)
	}
	t.Cleanup(func() { _ = again.Shutdown(context.Background()) })
	poll.Until(t, 10*time.Second, "reconnect", env.nc.IsConnected)

	after := decodeStored(t, ingestDo(t, http.MethodPost, env.url, binaryHeaders("ce-id", "after"), strBody("x")))
	if after.Seq != 2 {
		t.Errorf("after restart: %+v, want seq 2", after)
	}
	var ids []string
	for _, se := range env.stored(t) {
		ids = append(ids, se.Event.ID())
	}
	if strings.Join(ids, ",") != "before,after" {
		t.Errorf("stored %v, want [before after]", ids)
	}
}

// blockingPublisher holds every publish until release is closed. It stands
// in for a slow broker in the one test of the in-flight limit.
type blockingPublisher struct {
	entered chan struct{}
	release chan struct{}
}

func (p *blockingPublisher) Publish(ctx context.Context, e *event.Event) (broker.Ack, error) {
	p.entered <- struct{}{}
	select {
	case <-p.release:
		return broker.Ack{Stream: "EVENTS", Sequence: 1}, nil
	case <-ctx.Done():
		return broker.Ack{}, ctx.Err()
	}
}

// TestIngestMaxInFlight fills the in-flight limit with publishes that do
// not return: the next request gets 429 with Retry-After at once, and once
// the publishes return, requests are accepted again.
func TestIngestMaxInFlight(t *testing.T) {
	pub := &blockingPublisher{entered: make(chan struct{}, 8), release: make(chan struct{})}
	hs := httpServer(t, mustIngest(t, IngestConfig{MaxInFlight: 2}, pub))
	var wg sync.WaitGroup
	statuses := make(chan int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- ingestDo(t, http.MethodPost, hs, binaryHeaders("ce-id", fmt.Sprint("held-", i)), strBody("x")).status
		}()
	}
	<-pub.entered
	<-pub.entered

	a := ingestDo(t, http.MethodPost, hs, binaryHeaders("ce-id", "third"), strBody("x"))
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") != "1" {
		t.Fatalf("third request: %d Retry-After %q: %s", a.status, a.header.Get("Retry-After"), a.body)
	}
	close(pub.release)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusAccepted {
			t.Errorf("held request: %d, want 202", s)
		}
	}
	if a := ingestDo(t, http.MethodPost, hs, binaryHeaders("ce-id", "fourth"), strBody("x")); a.status != http.StatusAccepted {
		t.Errorf("after release: %d, want 202: %s", a.status, a.body)
	}
}

// TestIngestToken checks the bearer token.
func TestIngestToken(t *testing.T) {
	env := newIngestEnv(t, nil, IngestConfig{Token: []byte("s3cret-token")})
	tests := []struct {
		name      string
		auth      string
		status    int
		challenge string
	}{
		{"missing", "", http.StatusUnauthorized, `Bearer realm="fnmesh"`},
		{"wrong", "Bearer s3cret-tokem", http.StatusUnauthorized, `Bearer realm="fnmesh", error="invalid_token"`},
		{"prefix of the token", "Bearer s3cret", http.StatusUnauthorized, `Bearer realm="fnmesh", error="invalid_token"`},
		{"other scheme", "Basic czNjcmV0LXRva2Vu", http.StatusUnauthorized, `Bearer realm="fnmesh"`},
		{"right", "Bearer s3cret-token", http.StatusAccepted, ""},
		{"right, scheme in lower case", "bearer s3cret-token", http.StatusAccepted, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := binaryHeaders("ce-id", tc.name)
			if tc.auth != "" {
				h.Set("Authorization", tc.auth)
			}
			a := ingestDo(t, http.MethodPost, env.url, h, strBody("x"))
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			if got := a.header.Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
		})
	}
	if n := len(env.stored(t)); n != 2 {
		t.Errorf("%d events stored, want 2", n)
	}
}

// TestIngestOptions checks the CloudEvents webhook abuse-protection
// handshake.
func TestIngestOptions(t *testing.T) {
	env := newIngestEnv(t, nil, IngestConfig{Token: []byte("t")})
	a := ingestDo(t, http.MethodOptions, env.url, http.Header{
		"Webhook-Request-Origin": {"eventemitter.example.com"},
		"Webhook-Request-Rate":   {"120"},
	}, nil)
	if a.status != http.StatusOK || a.header.Get("WebHook-Allowed-Origin") != "*" || a.header.Get("WebHook-Allowed-Rate") != "*" {
		t.Errorf("handshake: %d %v", a.status, a.header)
	}
	a = ingestDo(t, http.MethodOptions, env.url, nil, nil)
	if a.status != http.StatusNoContent || a.header.Get("Allow") != allowedMethods || a.header.Get("WebHook-Allowed-Origin") != "" {
		t.Errorf("plain OPTIONS: %d %v", a.status, a.header)
	}
}

// schemaStub rejects data without an "amount" member for one event type.
type schemaStub struct{}

func (schemaStub) Validate(eventType string, data []byte) error {
	if eventType != "com.example.payment" {
		return nil
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("/: %w", err)
	}
	if _, ok := v["amount"]; !ok {
		return errors.New(`/: missing property "amount"`)
	}
	return nil
}

// TestIngestValidator checks that data validation failures are 400 naming
// the event and the path, and that nothing of a batch is stored.
func TestIngestValidator(t *testing.T) {
	env := newIngestEnvWith(t, brokertest.Server(t, ""), nil, IngestConfig{}, []Option{WithValidator(schemaStub{})})
	pay := func(id, data string) string {
		return structuredBody(map[string]any{"id": id, "type": "com.example.payment", "data": json.RawMessage(data)})
	}
	a := ingestDo(t, http.MethodPost, env.url, structuredHeaders(), strBody(pay("p-1", `{"currency":"EUR"}`)))
	eb := a.errorJSON(t)
	if a.status != http.StatusBadRequest || eb.Attribute != "data" || eb.Rule != `/: missing property "amount"` || eb.Index != nil {
		t.Errorf("single: %d %s", a.status, a.body)
	}
	a = ingestDo(t, http.MethodPost, env.url, batchHeaders(), strBody("["+pay("p-2", `{"amount":1}`)+","+pay("p-3", `{}`)+"]"))
	eb = a.errorJSON(t)
	if a.status != http.StatusBadRequest || eb.Attribute != "data" || eb.Index == nil || *eb.Index != 1 {
		t.Errorf("batch: %d %s", a.status, a.body)
	}
	decodeStored(t, ingestDo(t, http.MethodPost, env.url, structuredHeaders(), strBody(pay("p-4", `{"amount":2}`))))
	if n := len(env.stored(t)); n != 1 {
		t.Errorf("%d events stored, want 1", n)
	}
}

// TestIngestBatchPartialFailure stores a batch whose second event no stream
// captures: the batch is atomic, so none is stored, and the answer names
// the second. The same with ?atomic=false (fast batch publish): the
// stream of every event is known before anything is sent. No stream is an
// unavailable store (503 with Retry-After: a stream deleted under `up` is
// re-created), never a 500.
func TestIngestBatchPartialFailure(t *testing.T) {
	env := newIngestEnv(t, []broker.StreamSpec{{Name: "EVENTS", Subjects: []string{"events.com.example.kept"}}}, IngestConfig{})
	body := "[" + structuredBody(map[string]any{"id": "1", "type": "com.example.kept"}) + "," +
		structuredBody(map[string]any{"id": "2", "type": "com.example.lost"}) + "," +
		structuredBody(map[string]any{"id": "3", "type": "com.example.kept"}) + "]"
	for _, url := range []string{env.url, env.url + "?atomic=false"} {
		a := ingestDo(t, http.MethodPost, url, batchHeaders(), strBody(body))
		if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" {
			t.Fatalf("%s: status %d (Retry-After %q), want 503 with Retry-After: %s", url, a.status, a.header.Get("Retry-After"), a.body)
		}
		var ba batchAnswer
		if err := json.Unmarshal(a.body, &ba); err != nil {
			t.Fatal(err)
		}
		if ba.Accepted != 0 || ba.Error != errUnavailable.Error() || len(ba.Results) != 3 || ba.Index == nil || *ba.Index != 1 {
			t.Fatalf("%s: answer %s", url, a.body)
		}
		r := ba.Results
		if r[0].Stored || r[1].Stored || r[1].Error != errUnavailable.Error() || r[2].Stored || r[0].Error == "" || r[2].Error == "" {
			t.Errorf("%s: results %+v", url, r)
		}
		if n := len(env.stored(t)); n != 0 {
			t.Errorf("%s: %d events stored, want 0", url, n)
		}
	}
	// One event no stream captures: 503, never the internals.
	a := ingestDo(t, http.MethodPost, env.url, binaryHeaders("ce-type", "com.example.lost"), strBody("x"))
	if eb := a.errorJSON(t); a.status != http.StatusServiceUnavailable || eb.Error != errUnavailable.Error() {
		t.Errorf("single: %d %s", a.status, a.body)
	}
}
