package app_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/poll"
)

const schedMeshYAML = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: sched-test }
streams:
  - name: EVENTS
    subjects: ["events.>"]
    schedules: true
    maxDelay: 1h
functions:
  - name: f
    run: { command: ["true"] }
`

// startUp runs `up` for the mesh file on data and returns its base URL,
// NATS URL and a stop function.
func startUp(t *testing.T, file, data string) (string, string, func()) {
	t.Helper()
	m, err := meshmap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, app.Config{Mesh: m, NoFunctions: true, Env: config.Env{DataDir: data, HTTPAddr: "127.0.0.1:0", NATSHost: "127.0.0.1"}, ShutdownTimeout: time.Second})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	base := a.URL()
	poll.Until(t, 10*time.Second, "/readyz 200", func() bool { return get(t, base+"/readyz") == http.StatusOK })
	return base, a.NATSURL(), func() { cancel(); <-done; a.Close() }
}

// TestScheduledEventAcrossRestartOfUp posts two delayed events, cancels
// one through the API, restarts `up` before their time, and sees only the
// other delivered on events.> after its time.
func TestScheduledEventAcrossRestartOfUp(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(file, []byte(schedMeshYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	base, _, stop := startUp(t, file, data)
	at := time.Now().Add(4 * time.Second)
	for _, id := range []string{"keep", "drop"} {
		req, _ := http.NewRequest(http.MethodPost, base+"/events", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Ce-Specversion", "1.0")
		req.Header.Set("Ce-Id", id)
		req.Header.Set("Ce-Type", "com.example.remind")
		req.Header.Set("Ce-Source", "/test")
		req.Header.Set("Ce-Deliverat", at.UTC().Format(time.RFC3339Nano))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST %s: %d", id, resp.StatusCode)
		}
	}
	var list struct {
		Scheduled []struct{ ID, Subject string } `json:"scheduled"`
		Streams   []broker.StreamScheduled       `json:"streams"`
	}
	apiGet(t, base+"/api/v1/scheduled", http.StatusOK, &list)
	if len(list.Scheduled) != 2 || list.Scheduled[0].Subject != "events.com.example.remind" {
		t.Fatalf("scheduled: %+v", list)
	}
	if len(list.Streams) != 1 || list.Streams[0] != (broker.StreamScheduled{Stream: "EVENTS", Scheduled: 2}) {
		t.Fatalf("scheduled per stream: %+v, want EVENTS: 2", list.Streams)
	}
	var st app.Status
	apiGet(t, base+"/status", http.StatusOK, &st)
	if len(st.Scheduled) != 1 || st.Scheduled[0] != (broker.StreamScheduled{Stream: "EVENTS", Scheduled: 2}) {
		t.Fatalf("/status scheduled: %+v, want EVENTS: 2", st.Scheduled)
	}
	req, _ := http.NewRequest(http.MethodDelete, base+"/api/v1/scheduled/drop", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Cancelled int }
	apiDecode(t, "DELETE drop", resp, http.StatusOK, &c)
	if c.Cancelled != 1 {
		t.Fatalf("cancelled %d", c.Cancelled)
	}
	req, _ = http.NewRequest(http.MethodDelete, base+"/api/v1/scheduled/drop", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var apiErr struct{ Error, Field string }
	apiDecode(t, "DELETE drop again", resp, http.StatusNotFound, &apiErr)
	if apiErr.Field != "id" {
		t.Errorf("404 body %+v", apiErr)
	}

	stop()
	if time.Now().After(at) {
		t.Fatal("the restart took past the scheduled time; the test proves nothing")
	}
	_, natsURL, stop := startUp(t, file, data)
	defer stop()
	creds, err := embedded.ReadCredentials(data)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(natsURL, creds.Options()...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	count := func() (n uint64, last *jetstream.RawStreamMsg) {
		st, err := js.Stream(context.Background(), "EVENTS")
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(context.Background(), jetstream.WithSubjectFilter("events.>"))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range info.State.Subjects {
			n += k
		}
		if n > 0 {
			last, _ = st.GetLastMsgForSubject(context.Background(), "events.com.example.remind")
		}
		return n, last
	}
	if n, _ := count(); n != 0 && time.Now().Before(at) {
		t.Fatalf("%d events visible before their time", n)
	}
	poll.Until(t, 15*time.Second, "the kept event delivered", func() bool { n, _ := count(); return n >= 1 })
	time.Sleep(time.Second)
	n, last := count()
	if n != 1 || last == nil || len(last.Header["ce-id"]) != 1 || last.Header["ce-id"][0] != "keep" {
		t.Fatalf("%d delivered (last %v), want only keep", n, last)
	}
}
