package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/history"
)

// TestTailFollowsTheStreamAndResumes serves the run stream on loopback:
// the first connection sends two runs and breaks, the second must carry
// Last-Event-ID of the last batch and the token, and its run is printed too.
func TestTailFollowsTheStreamAndResumes(t *testing.T) {
	var mu sync.Mutex
	var lastIDs, queries, auths []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n := len(lastIDs)
		lastIDs, queries, auths = append(lastIDs, r.Header.Get("Last-Event-ID")), append(queries, r.URL.RawQuery), append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.URL.Query().Get("cesql") == "bad" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error": "1:4: syntax error", "field": "cesql"}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 0 {
			fmt.Fprint(w, ": fnmesh run stream\nid: 5\nretry: 2000\n\n")
			fmt.Fprint(w, "event: run\ndata: {\"function\":\"f\",\"eventId\":\"e-1\",\"outcome\":\"ok\",\"historySeq\":6}\n\n")
			fmt.Fprint(w, "id: 6\nevent: run\ndata: {\"function\":\"f\",\"eventId\":\"e-2\",\"outcome\":\"deadletter\",\"historySeq\":6}\n\n")
			return // the connection breaks
		}
		fmt.Fprint(w, "id: 7\nevent: run\ndata: {\"function\":\"f\",\"eventId\":\"e-3\",\"outcome\":\"ok\",\"historySeq\":7}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer ts.Close()
	g := &globals{env: config.Env{OpsToken: "tail-token"}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []string
	err := tailRuns(ctx, g, ts.URL, url.Values{"function": {"f"}, "cesql": {"priority = 'high'"}}, func(r history.Record) {
		got = append(got, r.EventID+"/"+r.Outcome)
		if len(got) == 3 {
			cancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "e-1/ok e-2/deadletter e-3/ok" {
		t.Errorf("printed %v", got)
	}
	mu.Lock()
	if len(lastIDs) != 2 || lastIDs[0] != "" || lastIDs[1] != "6" {
		t.Errorf("Last-Event-ID of the connections = %q, want \"\" then 6", lastIDs)
	}
	if auths[1] != "Bearer tail-token" || !strings.Contains(queries[0], "cesql=priority") || !strings.Contains(queries[0], "function=f") {
		t.Errorf("requests: %q %q", queries, auths)
	}
	mu.Unlock()

	err = tailRuns(context.Background(), g, ts.URL, url.Values{"cesql": {"bad"}}, func(history.Record) {})
	if err == nil || err.Error() != "--cesql: 1:4: syntax error" {
		t.Errorf("a bad --cesql: %v, want the error naming the flag", err)
	}
}
