package triggers

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/fnmesh/fnmesh/broker"
)

// TestFullStreamAnswers429: with a discard-new stream at its limit, every
// HTTP way in (binary, structured, batch, a route) answers 429 with
// Retry-After, and nothing already stored is dropped for it.
func TestFullStreamAnswers429(t *testing.T) {
	env := newIngestEnv(t, []broker.StreamSpec{{Name: "EVENTS", Subjects: []string{"events.>"}, MaxMsgs: 2}}, IngestConfig{})
	for i := range 2 {
		a := ingestDo(t, http.MethodPost, env.url, binaryHeaders("ce-id", fmt.Sprintf("fill-%d", i)), strBody("x"))
		if a.status != http.StatusAccepted {
			t.Fatalf("filling: %d %s", a.status, a.body)
		}
	}
	route := serveRoute(t, routeTrigger(func(c *RouteConfig) { c.Emit.Type = "com.example.order.created" }), env.client)
	for name, do := range map[string]func() httpAnswer{
		"binary": func() httpAnswer {
			return ingestDo(t, http.MethodPost, env.url, binaryHeaders("ce-id", "over-1"), strBody("x"))
		},
		"structured": func() httpAnswer {
			return ingestDo(t, http.MethodPost, env.url, structuredHeaders(), strBody(structuredBody(map[string]any{"id": "over-2"})))
		},
		"batch": func() httpAnswer {
			return ingestDo(t, http.MethodPost, env.url, batchHeaders(), strBody("["+structuredBody(map[string]any{"id": "over-3"})+"]"))
		},
		"route": func() httpAnswer {
			return ingestDo(t, http.MethodPost, route, http.Header{"Content-Type": {"application/json"}}, strBody(`{}`))
		},
	} {
		a := do()
		if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
			t.Errorf("%s: %d (Retry-After %q), want 429 with Retry-After: %s", name, a.status, a.header.Get("Retry-After"), a.body)
		}
	}
	if n := len(env.stored(t)); n != 2 {
		t.Errorf("%d events stored, want the 2 that filled the stream", n)
	}
}
