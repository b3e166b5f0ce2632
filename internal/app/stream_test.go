package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/functions"
)

const streamMeshYAML = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: stream-test }
triggers:
  - name: orders
    http: { path: /orders }
    emit: { type: com.example.order.created }
  - name: hourly
    cron: { schedule: "@hourly" }
    emit: { type: com.example.tick }
functions:
  - name: f
    run: { command: ["true"] }
    delivery: { retry: 0 }
`

// TestRunStreamTriggersAndRootRedirect runs `up` with a Go function in the
// test process and reads the run stream with a CESQL filter on an extension of
// the stored event (the history records do not hold extensions), the triggers view, and GET / (a redirect to the dashboard).
func TestRunStreamTriggersAndRootRedirect(t *testing.T) {
	a, file, nc := runUp(t, streamMeshYAML)
	base := a.URL()
	ctx := t.Context()
	fctx, fcancel := context.WithCancel(ctx)
	fdone := make(chan error, 1)
	go func() {
		fdone <- functions.Serve(fctx, functions.HandlerFunc(func(_ context.Context, e event.Event) ([]event.Event, error) {
			if strings.HasPrefix(e.ID(), "bad") {
				return nil, functions.Permanent(errors.New("refused"))
			}
			return nil, nil
		}), functions.WithConn(nc), functions.WithMeshFile(file), functions.WithFunction("f"))
	}()
	defer func() { fcancel(); <-fdone }()

	// Bad input names the parameter.
	var apiErr struct{ Error, Field string }
	for q, field := range map[string]string{"cesql=type+%3D": "cesql", "outcome=bogus": "outcome", "status=maybe": "status", "after=-1": "after"} {
		apiGet(t, base+"/api/v1/stream?"+q, http.StatusBadRequest, &apiErr)
		if apiErr.Field != field {
			t.Errorf("GET /api/v1/stream?%s: %+v, want field %s", q, apiErr, field)
		}
	}

	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	req, _ := http.NewRequestWithContext(sctx, http.MethodGet, base+"/api/v1/stream?cesql="+`priority+%3D+%27high%27`, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("GET /api/v1/stream: %s %s", resp.Status, ct)
	}
	runs := make(chan map[string]any, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		name := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && name == "run":
				var r map[string]any
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &r) == nil {
					runs <- r
				}
			}
		}
		close(runs)
	}()
	time.Sleep(700 * time.Millisecond) // the stream starts at the end of the history
	postPriority(t, base, "small-1", "low")
	postPriority(t, base, "big-1", "high")
	postPriority(t, base, "bad-big", "high")
	got := map[string]string{}
	for len(got) < 2 {
		select {
		case r, ok := <-runs:
			if !ok {
				t.Fatalf("the stream ended; runs so far %v", got)
			}
			got[r["eventId"].(string)] = r["outcome"].(string)
		case <-sctx.Done():
			t.Fatalf("runs of the stream = %v, want big-1 ok and bad-big deadletter", got)
		}
	}
	if got["big-1"] != "ok" || got["bad-big"] != "deadletter" || got["small-1"] != "" {
		t.Errorf("runs of the stream = %v, want big-1 ok and bad-big deadletter, not small-1", got)
	}

	var tv struct {
		Ingest string
		Routes []struct {
			Name, Path, Method string
			Counts             map[string]int
		}
		Crons []struct {
			Name string
			Next []time.Time
		}
		Webhooks []any
	}
	resp2, err := http.Post(base+"/orders", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	apiGet(t, base+"/api/v1/triggers", http.StatusOK, &tv)
	if tv.Ingest != "/events" || len(tv.Routes) != 1 || tv.Routes[0].Path != "/orders" || tv.Routes[0].Counts["accepted"] != 1 || tv.Webhooks == nil {
		t.Errorf("triggers = %+v, want the route with 1 accepted", tv)
	}
	if len(tv.Crons) != 1 || len(tv.Crons[0].Next) != 3 || !tv.Crons[0].Next[0].After(time.Now()) || tv.Crons[0].Next[1].Sub(tv.Crons[0].Next[0]) != time.Hour {
		t.Errorf("crons = %+v, want hourly with the next three fire times", tv.Crons)
	}

	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := c.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/ui/" {
		t.Errorf("GET /: %s to %q, want 302 to /ui/", r.Status, r.Header.Get("Location"))
	}
	if code := get(t, base+"/nowhere"); code != http.StatusNotFound {
		t.Errorf("GET /nowhere: %d, want 404", code)
	}
}

func postPriority(t *testing.T, base, id, priority string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/events", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Ce-Specversion", "1.0")
	req.Header.Set("Ce-Id", id)
	req.Header.Set("Ce-Type", "com.example.order.created")
	req.Header.Set("Ce-Source", "/test")
	req.Header.Set("Ce-Priority", priority)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /events %s: %d", id, resp.StatusCode)
	}
}
