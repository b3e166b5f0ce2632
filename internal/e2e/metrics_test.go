package e2e

import (
	"context"
	"errors"
	"fmt"
	"github.com/fnmesh/fnmesh/internal/poll"
	"github.com/fnmesh/fnmesh/internal/telemetry/telemetrytest"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/functions"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/triggers"
)

// TestMetricsAfterAKnownWorkload drives a known workload through the
// trigger mux and a worker, both reporting to one Telemetry, and checks
// every counter on /metrics:
//
//   - 5 events handled at once,
//   - 1 event the function's source filter rejects,
//   - 1 event that fails once and then succeeds,
//   - 1 event that fails permanently and is dead-lettered,
//   - 1 repeated POST of an event already stored (a duplicate),
//   - 1 invalid request.
func TestMetricsAfterAKnownWorkload(t *testing.T) {
	ms := newMesh(t, nil)
	const work = "com.example.work"
	fn := function("work", work, 3, func(f *config.Function) {
		f.Filters = append(f.Filters, config.Filter{Prefix: map[string]string{"source": "/shop/"}})
	})
	var mu sync.Mutex
	failed := map[string]bool{}
	ms.startWorker(t, fn, handlerFunc(func(_ context.Context, e event.Event) ([]event.Event, error) {
		switch e.ID() {
		case "flaky":
			mu.Lock()
			defer mu.Unlock()
			if !failed[e.ID()] {
				failed[e.ID()] = true
				return nil, errors.New("try again")
			}
		case "bad":
			return nil, functions.Permanent(errors.New("cannot ever work"))
		}
		return nil, nil
	}))

	tcfg, err := meshmap.Triggers(ms.m)
	if err != nil {
		t.Fatal(err)
	}
	mx, err := triggers.NewMux(tcfg, ms.client(t), triggers.WithObserver(ms.tel))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(ms.tel.HTTP(mx))
	t.Cleanup(hs.Close)
	post := func(id, source string) int {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/events", nil)
		req.Header = http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {id}, "Ce-Source": {source}, "Ce-Type": {work}}
		if source == "" {
			req.Header.Del("Ce-Source") // invalid: source is required
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 5 {
		if st := post(fmt.Sprintf("ok-%d", i), "/shop/api"); st != http.StatusAccepted {
			t.Fatalf("POST ok-%d: %d", i, st)
		}
	}
	for _, p := range [][2]string{{"elsewhere", "/other/api"}, {"flaky", "/shop/api"}, {"bad", "/shop/api"}, {"ok-0", "/shop/api"}} {
		if st := post(p[0], p[1]); st != http.StatusAccepted {
			t.Fatalf("POST %s: %d", p[0], st)
		}
	}
	if st := post("no-source", ""); st != http.StatusBadRequest {
		t.Fatalf("POST without source: %d, want 400", st)
	}

	poll.Until(t, 20*time.Second, "9 deliveries processed", func() bool {
		return telemetrytest.SampleValue(telemetrytest.Scrape(t, ms.tel.MetricsHandler), "fnmesh_events_processed_total", "function", "work") >= 9
	})
	// Let anything unexpected (an extra redelivery) show up before counting.
	time.Sleep(200 * time.Millisecond)
	fams := telemetrytest.Scrape(t, ms.tel.MetricsHandler)
	tests := []struct {
		family string
		labels []string
		want   float64
	}{
		{"fnmesh_events_received_total", []string{"trigger", "ingest", "outcome", "accepted"}, 8},
		{"fnmesh_events_received_total", []string{"trigger", "ingest", "outcome", "duplicate"}, 1},
		{"fnmesh_events_received_total", []string{"trigger", "ingest", "outcome", "rejected"}, 1},
		{"fnmesh_events_received_total", nil, 10},
		// 9 accepted or duplicate publishes at ingest and 1 dead letter.
		{"fnmesh_events_published_total", []string{"outcome", "ok"}, 10},
		{"fnmesh_events_published_total", []string{"outcome", "error"}, 0},
		// 8 stored events, one of them delivered twice.
		{"fnmesh_events_delivered_total", []string{"function", "work"}, 9},
		{"fnmesh_events_processed_total", []string{"function", "work", "outcome", "ok"}, 6},
		{"fnmesh_events_processed_total", []string{"function", "work", "outcome", "filtered"}, 1},
		{"fnmesh_events_processed_total", []string{"function", "work", "outcome", "retry"}, 1},
		{"fnmesh_events_processed_total", []string{"function", "work", "outcome", "deadletter"}, 1},
		// The handler ran for every delivery but the filtered one.
		{"fnmesh_handler_duration_seconds", []string{"function", "work"}, 8},
		{"fnmesh_ingest_duration_seconds", []string{"http_route", "/events", "status", "202"}, 9},
		{"fnmesh_ingest_duration_seconds", []string{"http_route", "/events", "status", "400"}, 1},
	}
	for _, tt := range tests {
		if got := telemetrytest.SampleValue(fams, tt.family, tt.labels...); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.family, tt.labels, got, tt.want)
		}
	}
}
