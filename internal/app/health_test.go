package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/logtest"
	"github.com/fnmesh/fnmesh/internal/poll"
)

// TestVanishedStream: the stream is deleted under a running up; POST
// answers 503 (not 500), /readyz turns 503 and the stream is re-created,
// then /readyz is 200 again and POST is 202.
func TestVanishedStream(t *testing.T) {
	// No background watch: only /readyz finds the stream gone, so that
	// the POST below meets it missing.
	a, _, nc := runUpWith(t, meshYAML, func(c *app.Config) { c.WatchInterval = -1 })
	base := a.URL()
	ctx := t.Context()
	post := func() int {
		t.Helper()
		resp, err := http.Post(base+"/orders", "application/json", strings.NewReader(`{"sku":"A1"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(); code != http.StatusAccepted {
		t.Fatalf("POST before: %d, want 202", code)
	}

	js, _ := jetstream.New(nc)
	if err := js.DeleteStream(ctx, "EVENTS"); err != nil {
		t.Fatal(err)
	}
	if code := post(); code != http.StatusServiceUnavailable {
		t.Fatalf("POST with the stream gone: %d, want 503", code)
	}
	poll.Until(t, 10*time.Second, "/readyz 503", func() bool { return get(t, base+"/readyz") == http.StatusServiceUnavailable })
	poll.Until(t, 10*time.Second, "/readyz 200 again", func() bool { return get(t, base+"/readyz") == http.StatusOK })
	if _, err := js.Stream(ctx, "EVENTS"); err != nil {
		t.Fatalf("stream not re-created: %v", err)
	}
	if code := post(); code != http.StatusAccepted {
		t.Fatalf("POST after: %d, want 202", code)
	}
}

// TestWatchRecreatesAndCountsEvictions: with the background watch on, a
// deleted stream comes back without anyone asking /readyz, and events a
// discard-old stream removed before its consumer had them are logged
// with their count.
func TestWatchRecreatesAndCountsEvictions(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mesh.yaml")
	mesh := strings.Replace(meshYAML, "triggers:", `streams:
  - { name: EVENTS, subjects: ["events.>"], maxMsgs: 5, discard: old }
triggers:`, 1)
	if err := os.WriteFile(file, []byte(mesh), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := meshmap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	logs := &logtest.Buffer{}
	debug := &slog.HandlerOptions{Level: slog.LevelDebug}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.New(ctx, app.Config{Mesh: m, Env: config.Env{DataDir: data, HTTPAddr: "127.0.0.1:0", NATSHost: "127.0.0.1"},
		ShutdownTimeout: time.Second, WatchInterval: 20 * time.Millisecond, Log: slog.New(slog.NewJSONHandler(logs, debug))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	if !strings.Contains(logs.String(), "streams[0] (EVENTS).discard: old with maxMsgs 5") {
		t.Errorf("no warning about discard old with limits at start:\n%s", logs)
	}

	creds, err := embedded.ReadCredentials(data)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(a.NATSURL(), creds.Options()...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := js.DeleteStream(ctx, "EVENTS"); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "EVENTS re-created", func() bool { _, err := js.Stream(ctx, "EVENTS"); return err == nil })
	if !strings.Contains(logs.String(), "stream vanished: re-creating it") {
		t.Errorf("the re-creation is not logged:\n%s", logs)
	}

	cons, err := js.CreateOrUpdateConsumer(ctx, "EVENTS", jetstream.ConsumerConfig{Durable: "fn", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	// The watch has seen the consumer before it moves.
	poll.Until(t, 10*time.Second, "the consumer watched", func() bool {
		for _, r := range logs.Records(t) {
			if r["msg"] == "eviction watch" && r["consumers"] == float64(1) {
				return true
			}
		}
		return false
	})
	base := a.URL()
	for i := range 25 {
		resp, err := http.Post(base+"/orders", "application/json", strings.NewReader(fmt.Sprintf(`{"i":%d}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST %d: %d", i, resp.StatusCode)
		}
	}
	batch, err := cons.Fetch(5, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for msg := range batch.Messages() {
		_ = msg.Ack()
	}
	var evicted float64
	poll.Until(t, 10*time.Second, "20 evictions logged", func() bool {
		evicted = 0
		for _, r := range logs.Records(t) {
			if r["msg"] == "stream removed events before they were processed (discard old at a limit, or maxAge)" && r["consumer"] == "fn" {
				evicted += r["events"].(float64)
			}
		}
		// The watch may log the removals in more than one record.
		return evicted >= 20
	})
	if evicted != 20 {
		t.Errorf("%v events logged as removed unprocessed, want 20 (25 stored, 5 kept)", evicted)
	}
}
