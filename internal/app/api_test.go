package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/functions"
	"github.com/fnmesh/fnmesh/internal/poll"
)

const apiMeshYAML = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: api-test }
functions:
  - name: f
    run: { command: ["true"] }
    delivery: { retry: 0 }
`

// TestAPIRunsEventsAndDeadLetters runs `up` on loopback with a Go function
// served in the test process, sends events through POST /events and reads
// what happened to them through /api/v1/.
func TestAPIRunsEventsAndDeadLetters(t *testing.T) {
	a, file, nc := runUp(t, apiMeshYAML)
	base := a.URL()
	ctx := t.Context()
	fctx, fcancel := context.WithCancel(ctx)
	fdone := make(chan error, 1)
	go func() {
		fdone <- functions.Serve(fctx, functions.HandlerFunc(func(_ context.Context, e event.Event) ([]event.Event, error) {
			if e.Type() == "com.example.bad" {
				return nil, functions.Permanent(errors.New("bad order"))
			}
			return nil, nil
		}), functions.WithConn(nc), functions.WithMeshFile(file), functions.WithFunction("f"))
	}()
	defer func() { fcancel(); <-fdone }()

	postEvent(t, base, "ok-1", "com.example.ok", `{"n":1}`)
	postEvent(t, base, "bad-1", "com.example.bad", `{"n":2}`)

	var runs struct {
		Runs []struct {
			EventID, Outcome, Error, Duration string
			Seq                               uint64
		} `json:"runs"`
	}
	poll.Until(t, 15*time.Second, "two runs", func() bool {
		apiGet(t, base+"/api/v1/runs?function=f", http.StatusOK, &runs)
		return len(runs.Runs) == 2
	})
	if r := runs.Runs[1]; r.EventID != "bad-1" || r.Outcome != "deadletter" || r.Error != "bad order" || r.Duration == "" {
		t.Errorf("run of bad-1 = %+v", r)
	}
	apiGet(t, base+"/api/v1/runs?outcome=ok&since=1h", http.StatusOK, &runs)
	if len(runs.Runs) != 1 || runs.Runs[0].EventID != "ok-1" {
		t.Errorf("ok runs = %+v", runs.Runs)
	}

	var apiErr struct{ Error, Field string }
	for _, tt := range []struct{ url, field string }{
		{"/api/v1/runs?outcome=bogus", "outcome"},
		{"/api/v1/runs?since=yesterday", "since"},
		{"/api/v1/runs?limit=0", "limit"},
		{"/api/v1/deadletters?cesql=type+%3D", "cesql"},
	} {
		apiGet(t, base+tt.url, http.StatusBadRequest, &apiErr)
		if apiErr.Field != tt.field || apiErr.Error == "" {
			t.Errorf("GET %s: %+v, want field %s", tt.url, apiErr, tt.field)
		}
	}

	var ev struct {
		Stored []struct {
			Stream string
			Event  struct {
				ID   string          `json:"id"`
				Data json.RawMessage `json:"data"`
			}
		}
		Runs []struct{ Outcome string }
	}
	apiGet(t, base+"/api/v1/events/ok-1", http.StatusOK, &ev)
	if len(ev.Stored) != 1 || ev.Stored[0].Event.ID != "ok-1" || compact(ev.Stored[0].Event.Data) != `{"n":1}` || len(ev.Runs) != 1 || ev.Runs[0].Outcome != "ok" {
		t.Errorf("event ok-1 = %+v", ev)
	}
	apiGet(t, base+"/api/v1/events/no-such-id", http.StatusNotFound, &apiErr)

	// Replay ok-1 to f: dry run first, then for real; f handles it again.
	var rp struct {
		Count  int
		DryRun bool
	}
	apiPost(t, base+"/api/v1/replay", `{"function": "nope", "since": "1h"}`, http.StatusBadRequest, &apiErr)
	if apiErr.Field != "function" {
		t.Errorf("replay to an unknown function: %+v", apiErr)
	}
	apiPost(t, base+"/api/v1/replay", `{"function": "f"}`, http.StatusBadRequest, &apiErr)
	if apiErr.Field != "since" {
		t.Errorf("replay without since: %+v", apiErr)
	}
	apiPost(t, base+"/api/v1/replay", `{"function": "f", "since": "1h", "cesql": "type = 'com.example.ok'", "dryRun": true}`, http.StatusOK, &rp)
	if rp.Count != 1 || !rp.DryRun {
		t.Errorf("dry-run replay = %+v, want 1", rp)
	}
	apiPost(t, base+"/api/v1/replay", `{"function": "f", "since": "1h", "cesql": "type = 'com.example.ok'"}`, http.StatusOK, &rp)
	if rp.Count != 1 {
		t.Errorf("replay = %+v, want 1", rp)
	}
	poll.Until(t, 15*time.Second, "ok-1 run twice", func() bool {
		apiGet(t, base+"/api/v1/events/ok-1", http.StatusOK, &ev)
		return len(ev.Runs) == 2
	})
	if len(ev.Stored) != 2 || ev.Runs[1].Outcome != "ok" {
		t.Errorf("ok-1 after replay = %+v", ev)
	}

	var dls struct {
		DeadLetters []struct {
			Function, Reason string
			Event            struct {
				ID   string          `json:"id"`
				Data json.RawMessage `json:"data"`
			}
		}
	}
	apiGet(t, base+"/api/v1/deadletters", http.StatusOK, &dls)
	if len(dls.DeadLetters) != 1 || dls.DeadLetters[0].Event.ID != "bad-1" || compact(dls.DeadLetters[0].Event.Data) != `{"n":2}` || dls.DeadLetters[0].Reason != "bad order" {
		t.Fatalf("dead letters = %+v", dls)
	}

	var act struct {
		Count  int
		DryRun bool
	}
	apiPost(t, base+"/api/v1/deadletters/redrive", `{"cesql": "type = 'com.example.bad' AND"}`, http.StatusBadRequest, &apiErr)
	if apiErr.Field != "cesql" {
		t.Errorf("redrive with a bad cesql: %+v", apiErr)
	}
	apiPost(t, base+"/api/v1/deadletters/redrive", `{}`, http.StatusBadRequest, &apiErr)
	apiPost(t, base+"/api/v1/deadletters/redrive", `{"ids": ["bad-1"], "dryRun": true}`, http.StatusOK, &act)
	if act.Count != 1 || !act.DryRun {
		t.Errorf("dry-run redrive = %+v", act)
	}
	apiPost(t, base+"/api/v1/deadletters/redrive", `{"cesql": "type = 'com.example.bad'"}`, http.StatusOK, &act)
	if act.Count != 1 {
		t.Errorf("redrive = %+v", act)
	}
	// The function fails it again: a second run, a dead letter again.
	poll.Until(t, 15*time.Second, "bad-1 run twice", func() bool {
		apiGet(t, base+"/api/v1/events/bad-1", http.StatusOK, &ev)
		return len(ev.Runs) == 2
	})
	if len(ev.Stored) != 2 {
		t.Errorf("bad-1 stored %d times, want 2 (original and redrive)", len(ev.Stored))
	}
	poll.Until(t, 10*time.Second, "dead letter again", func() bool {
		apiGet(t, base+"/api/v1/deadletters?function=f", http.StatusOK, &dls)
		return len(dls.DeadLetters) == 1
	})

	var fns struct {
		Functions []struct {
			Name   string
			Retry  int
			Recent struct {
				Attempts, OK, DeadLetters int
				ErrorRate                 float64
			}
		}
	}
	// The figures come from the window `up`'s history reader fills.
	poll.Until(t, 10*time.Second, "4 recent attempts", func() bool {
		apiGet(t, base+"/api/v1/functions", http.StatusOK, &fns)
		return len(fns.Functions) == 1 && fns.Functions[0].Recent.Attempts == 4
	})
	if fns.Functions[0].Recent.DeadLetters != 2 || fns.Functions[0].Recent.ErrorRate != 0.5 {
		t.Errorf("functions = %+v", fns)
	}

	apiPost(t, base+"/api/v1/deadletters/purge", `{"function": "f"}`, http.StatusOK, &act)
	apiGet(t, base+"/api/v1/deadletters", http.StatusOK, &dls)
	if act.Count != 1 || len(dls.DeadLetters) != 0 {
		t.Errorf("purge = %+v, %d left", act, len(dls.DeadLetters))
	}
	apiGet(t, base+"/api/v1/nothing", http.StatusNotFound, &apiErr)
}

func postEvent(t *testing.T, base, id, typ, data string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/events", strings.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Ce-Specversion", "1.0")
	req.Header.Set("Ce-Id", id)
	req.Header.Set("Ce-Type", typ)
	req.Header.Set("Ce-Source", "/test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /events %s: %d", id, resp.StatusCode)
	}
}

func apiGet(t *testing.T, url string, want int, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	apiDecode(t, "GET "+url, resp, want, v)
}

func apiPost(t *testing.T, url, body string, want int, v any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	apiDecode(t, "POST "+url, resp, want, v)
}

func apiDecode(t *testing.T, what string, resp *http.Response, want int, v any) {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s: %d %s, want %d", what, resp.StatusCode, b, want)
	}
	if resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("%s: Content-Type %q", what, resp.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v: %s", what, err, b)
	}
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
