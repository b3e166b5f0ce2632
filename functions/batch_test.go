package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
)

func TestParseBatchReply(t *testing.T) {
	res, err := parseBatchReply([]byte(`[{"events":[{"specversion":"1.0","id":"o1","source":"/s","type":"t"}]},{},
		{"error":"bad","permanent":true},{"error":"busy","retryAfter":"30s"}]`), 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0].Outputs) != 1 || res[0].Outputs[0].ID() != "o1" || res[0].Err != nil {
		t.Errorf("results[0] = %+v", res[0])
	}
	if res[1].Err != nil || res[1].Outputs != nil {
		t.Errorf("results[1] = %+v", res[1])
	}
	if !IsPermanent(res[2].Err) {
		t.Errorf("results[2] = %v, want permanent", res[2].Err)
	}
	if d, ok := retryDelay(res[3].Err); !ok || d != 30*time.Second {
		t.Errorf("results[3] delay = %s %v, want 30s", d, ok)
	}
	if res, err := parseBatchReply([]byte("  "), 3); err != nil || res != nil {
		t.Errorf("empty reply = %v, %v; want all ok", res, err)
	}
	for _, tc := range []struct{ body, want string }{
		{`[{}]`, "1 results for 2 events"},
		{`{"a":1}`, "a JSON array of results"},
		{`[{},{"error":"x","permanent":true,"retryAfter":"1s"}]`, "results[1]: permanent and retryAfter exclude each other"},
		{`[{},{"error":"x","retryAfter":"soon"}]`, "results[1].retryAfter"},
		{`[{"permanent":true},{}]`, "results[0]: permanent and retryAfter need an error"},
		{`[{"events":[{"id":"x"}]},{}]`, "results[0].events[0]"},
	} {
		if _, err := parseBatchReply([]byte(tc.body), 2); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.body, err, tc.want)
		}
	}
}

func FuzzParseBatchReply(f *testing.F) {
	f.Add([]byte(`[{"events":[{"specversion":"1.0","id":"o1","source":"/s","type":"t"}]},{"error":"x","retryAfter":"1s"}]`), 2)
	f.Add([]byte(`null`), 1)
	f.Add([]byte(`[{"error":"x","permanent":true}]`), 1)
	f.Fuzz(func(t *testing.T, body []byte, n int) {
		if n < 0 || n > 1000 {
			return
		}
		res, err := parseBatchReply(body, n)
		if err != nil {
			return
		}
		if res != nil && len(res) != n {
			t.Fatalf("%d results for %d events", len(res), n)
		}
		for _, r := range res {
			for _, o := range r.Outputs {
				if o.Validate() != nil {
					t.Fatalf("invalid output accepted: %v", o)
				}
			}
		}
	})
}

// TestServeBatchHTTP runs a batch function served by the HTTP adapter
// against a real server: the endpoint gets CloudEvents batches and
// answers per event; one event is dead-lettered, the rest acknowledged.
func TestServeBatchHTTP(t *testing.T) {
	srv := brokertest.Server(t, "")
	nc := brokertest.Conn(t, srv)
	var mu sync.Mutex
	var sizes []int
	seen := map[string]int{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != ContentTypeBatch {
			t.Errorf("Content-Type %q, want %s", ct, ContentTypeBatch)
		}
		body, _ := io.ReadAll(r.Body)
		var evs []event.Event
		if err := json.Unmarshal(body, &evs); err != nil {
			t.Errorf("batch body: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		sizes = append(sizes, len(evs))
		items := make([]map[string]any, len(evs))
		for i, e := range evs {
			seen[e.ID()]++
			items[i] = map[string]any{}
			if e.ID() == "7" {
				items[i] = map[string]any{"error": "bad event", "permanent": true}
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(items)
	}))
	defer hs.Close()

	dir := t.TempDir()
	file := filepath.Join(dir, "mesh.yaml")
	mesh := fmt.Sprintf(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
streams:
  - { name: EVENTS, subjects: ["events.>"], storage: memory }
functions:
  - name: batched
    filters: [ { prefix: { type: com.example.test. } } ]
    run: { http: { url: %q } }
    startFrom: all
    batch: { maxEvents: 10, maxWait: 100ms }
    delivery: { retry: 1, backoffDelay: 100ms }
`, hs.URL)
	if err := os.WriteFile(file, []byte(mesh), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := meshmap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, nc, m)
	const n = 35
	for i := range n {
		if _, err := c.Publish(context.Background(), newTestEvent("/test/batch", fmt.Sprint(i), "com.example.test.b")); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, NewHTTPAdapter(hs.URL, &http.Client{}), WithMeshFile(file), WithConn(nc), WithFunction("batched"), WithLogger(slog.New(slog.DiscardHandler)))
	}()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		cons, err := js.Consumer(context.Background(), "EVENTS", "batched")
		if err == nil && cons.CachedInfo().NumPending == 0 && cons.CachedInfo().NumAckPending == 0 && cons.CachedInfo().Delivered.Stream >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the batch function did not settle every event")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	biggest := 0
	for _, s := range sizes {
		biggest = max(biggest, s)
		if s > 10 {
			t.Errorf("batch of %d, want at most 10", s)
		}
	}
	if biggest < 2 {
		t.Errorf("batch sizes %v: events were not batched", sizes)
	}
	for i := range n {
		if seen[fmt.Sprint(i)] != 1 {
			t.Errorf("event %d posted %d times, want 1", i, seen[fmt.Sprint(i)])
		}
	}
	q, err := broker.NewDeadLetterQueue(c, meshmap.DeadLetter(m))
	if err != nil {
		t.Fatal(err)
	}
	var dead []string
	_ = q.List(context.Background(), "batched", time.Time{}, func(d broker.DeadLetter) bool {
		dead = append(dead, d.Event.ID()+": "+d.Reason)
		return true
	})
	if len(dead) != 1 || !strings.HasPrefix(dead[0], "7: ") || !strings.Contains(dead[0], "bad event") {
		t.Errorf("dead letters %q, want event 7 alone", dead)
	}
}

func TestExecAdapterBatch(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "stdin.json")
	script := `cat > "$1"; printf '[{},{"error":"nope","permanent":true},{"events":[{"specversion":"1.0","id":"o","source":"/s","type":"t"}]}]'`
	a := NewExecAdapter([]string{"sh", "-c", script, "sh", in}, dir, nil).(*ExecAdapter)
	evs := []event.Event{*newTestEvent("/s", "a", "t"), *newTestEvent("/s", "b", "t"), *newTestEvent("/s", "c", "t")}
	res, err := a.HandleBatch(context.Background(), evs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].Err != nil || !IsPermanent(res[1].Err) || len(res[2].Outputs) != 1 {
		t.Errorf("results = %+v", res)
	}
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var got []event.Event
	if err := json.Unmarshal(data, &got); err != nil || len(got) != 3 || got[1].ID() != "b" {
		t.Errorf("stdin %s: %v", data, err)
	}
	// A failing exit fails the whole batch.
	a = NewExecAdapter([]string{"sh", "-c", "exit 3"}, dir, nil).(*ExecAdapter)
	if _, err := a.HandleBatch(context.Background(), evs); err == nil || IsPermanent(err) {
		t.Errorf("exit 3 = %v, want a retryable error", err)
	}
	var ee *ExitError
	if a := NewExecAdapter([]string{"sh", "-c", "exit 100"}, dir, nil).(*ExecAdapter); true {
		_, err := a.HandleBatch(context.Background(), evs)
		if !errors.As(err, &ee) || !IsPermanent(err) {
			t.Errorf("exit 100 = %v, want permanent", err)
		}
	}
}
