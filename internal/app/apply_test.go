package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/triggers"
)

const applyMesh = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: shop }
streams:
  - name: EVENTS
    subjects: ["events.>"]
  - name: AUDIT
    subjects: ["audit.>"]
triggers:
  - name: nightly
    cron: { schedule: "@every 1h" }
    emit: { type: com.example.report.requested }
  - name: github
    webhook: { provider: github, path: /hooks/github, secretRef: { value: s3cret } }
functions:
  - name: fulfil-order
    filters:
      - exact: { type: com.example.order.created }
    run: { image: "shop/fulfil-order:1" }
  - name: notify
    filters:
      - prefix: { type: com.example.order. }
    run: { image: "shop/notify:1" }
  - name: audit
    stream: AUDIT
    run: { image: "shop/audit:1" }
`

// monitoredServer is a real nats-server with JetStream and its monitoring
// endpoint on random loopback ports, the way KEDA's nats-jetstream scaler
// sees a NATS deployment.
func monitoredServer(t *testing.T) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, HTTPHost: "127.0.0.1", HTTPPort: -1,
		JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

func connect(t *testing.T, s *server.Server, prefix string) (*broker.Client, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	c, err := broker.New(nc, broker.Config{SubjectPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return c, js
}

// jsz is the part of /jsz that KEDA's nats-jetstream scaler reads.
type jsz struct {
	Accounts []struct {
		Name    string `json:"name"`
		Streams []struct {
			Name      string `json:"name"`
			Consumers []struct {
				Name          string `json:"name"`
				NumPending    int64  `json:"num_pending"`
				NumAckPending int64  `json:"num_ack_pending"`
			} `json:"consumer_detail"`
		} `json:"stream_detail"`
	} `json:"account_details"`
}

// kedaLag reads the lag of a consumer the way KEDA does: /jsz with
// accounts, consumers and config, then num_pending + num_ack_pending of
// account, stream and consumer.
func kedaLag(t *testing.T, s *server.Server, account, stream, consumer string) (int64, bool) {
	t.Helper()
	url := fmt.Sprintf("http://%s/jsz?acc=%s&consumers=true&config=true", s.MonitorAddr(), account)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var j jsz
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		t.Fatal(err)
	}
	for _, a := range j.Accounts {
		for _, st := range a.Streams {
			for _, c := range st.Consumers {
				if a.Name == account && st.Name == stream && c.Name == consumer {
					return c.NumPending + c.NumAckPending, true
				}
			}
		}
	}
	return 0, false
}

func TestApply(t *testing.T) {
	s := monitoredServer(t)
	m, err := config.Parse("mesh.yaml", []byte(applyMesh))
	if err != nil {
		t.Fatal(err)
	}
	c, js := connect(t, s, m.SubjectPrefix)
	ctx := t.Context()

	// Before apply KEDA finds no consumer to read.
	if _, ok := kedaLag(t, s, "$G", "EVENTS", "fulfil-order"); ok {
		t.Fatal("consumer fulfil-order exists before apply")
	}
	got, err := Apply(ctx, c, m)
	if err != nil {
		t.Fatal(err)
	}
	want := Applied{
		Streams: []string{"EVENTS", "AUDIT", "DEADLETTER", "FNMESH_RUNS"},
		Buckets: []string{triggers.WebhookBucket, triggers.CronBucket},
		Consumers: []AppliedConsumer{
			{Function: "fulfil-order", Stream: "EVENTS", Consumer: "fulfil-order", FilterSubjects: []string{"events.com.example.order.created"}},
			{Function: "notify", Stream: "EVENTS", Consumer: "notify", FilterSubjects: []string{"events.com.example.order.>"}},
			// AUDIT lies outside the subject prefix: the whole stream.
			{Function: "audit", Stream: "AUDIT", Consumer: "audit"},
		},
	}
	if !equalApplied(got, want) {
		t.Errorf("Apply = %+v\nwant %+v", got, want)
	}

	// Every consumer exists on the server with the filters derived from the
	// mesh, and is durable (it outlives every connection).
	for _, wc := range want.Consumers {
		cons, err := js.Consumer(ctx, wc.Stream, wc.Consumer)
		if err != nil {
			t.Fatalf("consumer %s on %s: %v", wc.Consumer, wc.Stream, err)
		}
		cfg := cons.CachedInfo().Config
		if cfg.Durable != wc.Consumer || !slices.Equal(filters(cfg), wc.FilterSubjects) || cfg.AckPolicy != jetstream.AckExplicitPolicy {
			t.Errorf("consumer %s: durable %q, filters %q, ack %v; want %q, %q, explicit",
				wc.Consumer, cfg.Durable, filters(cfg), cfg.AckPolicy, wc.Consumer, wc.FilterSubjects)
		}
	}
	for _, b := range want.Buckets {
		if _, err := js.KeyValue(ctx, b); err != nil {
			t.Errorf("bucket %s: %v", b, err)
		}
	}
	kv, err := js.KeyValue(ctx, triggers.WebhookBucket)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := kv.Status(ctx); err != nil || st.TTL() != triggers.WebhookDedupTTL {
		t.Errorf("webhook bucket TTL = %v (%v), want %v", st.TTL(), err, triggers.WebhookDedupTTL)
	}

	// KEDA's view: the backlog of events stored before any worker ran.
	for i := range 3 {
		e := event.New()
		e.SetID(fmt.Sprint("order-", i))
		e.SetSource("/shop/api")
		e.SetType("com.example.order.created")
		if _, err := c.Publish(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	// A message another publisher stored on the AUDIT stream, outside the
	// subject prefix, is in the backlog of the function on that stream.
	if _, err := js.Publish(ctx, "audit.login", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		stream, consumer string
		lag              int64
	}{{"EVENTS", "fulfil-order", 3}, {"EVENTS", "notify", 3}, {"AUDIT", "audit", 1}} {
		// The server counts a consumer's pending messages as it learns of
		// them: wait for the figure to settle.
		var lag int64
		var ok bool
		poll.Wait(5*time.Second, func() bool {
			lag, ok = kedaLag(t, s, "$G", tt.stream, tt.consumer)
			return ok && lag == tt.lag
		})
		if !ok || lag != tt.lag {
			t.Errorf("KEDA lag of %s/%s = %d (found %v), want %d", tt.stream, tt.consumer, lag, ok, tt.lag)
		}
	}

	// Applying again is a no-op; applying a changed mesh updates the
	// consumer in place, keeping its backlog.
	if again, err := Apply(ctx, c, m); err != nil || !equalApplied(again, want) {
		t.Fatalf("second Apply = %+v, %v", again, err)
	}
	m.Functions[0].Filters = []config.Filter{{Prefix: map[string]string{"type": "com.example.order.cr"}}}
	if _, err := Apply(ctx, c, m); err != nil {
		t.Fatal(err)
	}
	info, err := c.ConsumerInfo(ctx, "EVENTS", "fulfil-order")
	if err != nil {
		t.Fatal(err)
	}
	if f := filters(info.Config); !slices.Equal(f, []string{"events.com.example.order.>"}) || info.NumPending != 3 {
		t.Errorf("after the change: filters %q, pending %d; want [events.com.example.order.>], 3", f, info.NumPending)
	}
}

// A mesh without webhooks or crons gets no buckets.
func TestApplyNoBuckets(t *testing.T) {
	s := monitoredServer(t)
	m, err := config.Parse("mesh.yaml", []byte("apiVersion: fnmesh.dev/v1alpha1\nkind: Mesh\nfunctions:\n  - name: hello\n    run: { image: hello:1 }\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, js := connect(t, s, m.SubjectPrefix)
	got, err := Apply(t.Context(), c, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Buckets) != 0 || len(got.Consumers) != 1 || !slices.Equal(got.Streams, []string{"EVENTS", "DEADLETTER", "FNMESH_RUNS"}) {
		t.Errorf("Apply = %+v", got)
	}
	for name := range js.KeyValueStoreNames(t.Context()).Name() {
		t.Errorf("unexpected bucket %s", name)
	}
}

// failing fails the consumers of the functions it names.
type failing struct {
	Declarer
	fail map[string]bool
}

func (f failing) EnsureConsumer(ctx context.Context, stream string, cc jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	if f.fail[cc.Durable] {
		return nil, errors.New("refused")
	}
	return f.Declarer.EnsureConsumer(ctx, stream, cc)
}

// Every failure is reported with the function it belongs to, and the rest
// is applied.
func TestApplyReportsEachFailure(t *testing.T) {
	s := monitoredServer(t)
	m, err := config.Parse("mesh.yaml", []byte(applyMesh))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := connect(t, s, m.SubjectPrefix)
	got, err := Apply(t.Context(), failing{Declarer: c, fail: map[string]bool{"fulfil-order": true, "audit": true}}, m)
	for _, want := range []string{"functions[0] (fulfil-order): refused", "functions[2] (audit): refused"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to name %q", err, want)
		}
	}
	if len(got.Consumers) != 1 || got.Consumers[0].Function != "notify" {
		t.Errorf("applied consumers = %+v, want notify only", got.Consumers)
	}
	if _, err := Apply(context.Background(), c, nil); err == nil {
		t.Error("nil mesh: no error")
	}
}

func filters(cfg jetstream.ConsumerConfig) []string {
	if cfg.FilterSubject != "" {
		return []string{cfg.FilterSubject}
	}
	return cfg.FilterSubjects
}

func equalApplied(a, b Applied) bool {
	return slices.Equal(a.Streams, b.Streams) && slices.Equal(a.Buckets, b.Buckets) &&
		slices.EqualFunc(a.Consumers, b.Consumers, func(x, y AppliedConsumer) bool {
			return x.Function == y.Function && x.Stream == y.Stream && x.Consumer == y.Consumer && slices.Equal(x.FilterSubjects, y.FilterSubjects)
		})
}
