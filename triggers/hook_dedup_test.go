package triggers

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/logtest"
	"github.com/fnmesh/fnmesh/triggers/webhook"
	"github.com/fnmesh/fnmesh/triggers/webhook/webhooktest"
)

// TestHookBodyDedup replays a signed GitHub body under new delivery ids
// and event types: with a body window the replays are answered as
// duplicates and not stored; without one (the default) each is stored; a
// body stored longer ago than the window is stored again; and a failed
// publish releases the body, so the provider's retry is stored.
func TestHookBodyDedup(t *testing.T) {
	gh := hookCases()[0]
	body := []byte(gh.body)
	signed := func(t *testing.T, id, event string) http.Header {
		t.Helper()
		h, err := webhooktest.Sign(webhook.Config{Provider: "github", Secrets: [][]byte{gh.secret}}, body, webhooktest.Options{ID: id, Event: event})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	tests := []struct {
		name   string
		window time.Duration
		fail   int // publishes that fail first
		sends  []struct{ id, event, body string }
		want   []int
		stored int
	}{
		{name: "replays within the window", window: time.Hour,
			sends: []struct{ id, event, body string }{{"d1", "pull_request", ""}, {"d2", "pull_request", ""}, {"d3", "issues", ""}, {"d4", "pull_request", `{"action":"closed"}`}},
			want:  []int{202, 200, 200, 202}, stored: 2},
		{name: "no window: each id is stored", window: 0,
			sends: []struct{ id, event, body string }{{"d1", "pull_request", ""}, {"d2", "pull_request", ""}},
			want:  []int{202, 202}, stored: 2},
		{name: "past the window", window: time.Nanosecond,
			sends: []struct{ id, event, body string }{{"d1", "pull_request", ""}, {"d2", "pull_request", ""}},
			want:  []int{202, 202}, stored: 2},
		{name: "a failed publish releases the body", window: time.Hour, fail: 1,
			sends: []struct{ id, event, body string }{{"d1", "pull_request", ""}, {"d1", "pull_request", ""}, {"d2", "pull_request", ""}},
			want:  []int{503, 202, 200}, stored: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTrEnv(t, 0)
			cfg := gh.trigger
			cfg.BodyDedupWindow = tt.window
			h, err := NewHook(cfg, &flakyPublisher{fail: tt.fail, next: env.client}, WithWebhookIDs(env.bucket(t, env.client, WebhookBucket, WebhookDedupTTL)))
			if err != nil {
				t.Fatal(err)
			}
			hs := httptest.NewServer(h)
			t.Cleanup(hs.Close)
			for i, s := range tt.sends {
				b := gh.body
				hdr := signed(t, s.id, s.event)
				if s.body != "" {
					b = s.body
					var err error
					if hdr, err = webhooktest.Sign(webhook.Config{Provider: "github", Secrets: [][]byte{gh.secret}}, []byte(b), webhooktest.Options{ID: s.id, Event: s.event}); err != nil {
						t.Fatal(err)
					}
				}
				if a := trDo(t, http.MethodPost, hs.URL, hdr, b); a.status != tt.want[i] {
					t.Errorf("delivery %d (%s, %s): %d %s, want %d", i+1, s.id, s.event, a.status, a.body, tt.want[i])
				}
			}
			if n := len(env.events(t)); n != tt.stored {
				t.Errorf("stored %d events, want %d", n, tt.stored)
			}
		})
	}
	if _, err := NewHook(HookConfig{Name: "gh", Path: "/gh", Webhook: gh.trigger.Webhook, BodyDedupWindow: 73 * time.Hour}, &countPublisher{}); !errors.Is(err, ErrConfig) ||
		!strings.Contains(err.Error(), "webhook.bodyDedupWindow: must be from 0 (off) to 72h0m0s") {
		t.Errorf("a window over the retry horizon: %v", err)
	}
}

// TestRejectionLogsAreBounded sends a signed webhook whose (unsigned)
// delivery id is 100 KB while the broker refuses to store it: the log line
// is bounded, and says how long the id was.
func TestRejectionLogsAreBounded(t *testing.T) {
	env := newTrEnv(t, 0)
	gh := hookCases()[0]
	var log logtest.Buffer
	h, err := NewHook(gh.trigger, &flakyPublisher{fail: 1, next: env.client}, WithLogger(textLogger(&log)))
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("i", 100_000)
	hdr, err := webhooktest.Sign(webhook.Config{Provider: "github", Secrets: [][]byte{gh.secret}}, []byte(gh.body), webhooktest.Options{ID: long, Event: "pull_request"})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, gh.trigger.Path, strings.NewReader(gh.body))
	req.Header = hdr
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", rec.Code, rec.Body)
	}
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		if len(line) > 2*maxLogValue+512 {
			t.Errorf("log line of %d bytes: %.300s...", len(line), line)
		}
	}
	if !strings.Contains(log.String(), "...(100000 bytes)") {
		t.Errorf("the log does not say how long the id was:\n%.1000s", log.String())
	}

	// The same at ingest, for an event whose id, source and type are long
	// but within the binding's bounds (past them the answer is a 400 before
	// any publish, checked below).
	var ilog logtest.Buffer
	in := mustIngest(t, IngestConfig{}, &flakyPublisher{fail: 1, next: env.client}, WithLogger(textLogger(&ilog)))
	mid := strings.Repeat("i", 4000)
	req = httptest.NewRequest(http.MethodPost, "/events", strings.NewReader("x"))
	req.Header = binaryHeaders("ce-id", mid, "ce-source", "/"+mid, "ce-type", "com."+mid[:500])
	rec = httptest.NewRecorder()
	in.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("ingest: status %d, want 503: %.300s", rec.Code, rec.Body)
	}
	for _, line := range strings.Split(strings.TrimSpace(ilog.String()), "\n") {
		if len(line) > 4*maxLogValue+512 {
			t.Errorf("ingest: log line of %d bytes: %.300s...", len(line), line)
		}
	}
	if n := strings.Count(ilog.String(), " bytes)"); n != 3 {
		t.Errorf("ingest: %d values marked as cut, want id, source and type:\n%.2000s", n, ilog.String())
	}

	// An event past the bounds is refused with a 400; its log stays bounded.
	var olog logtest.Buffer
	in = mustIngest(t, IngestConfig{}, env.client, WithLogger(textLogger(&olog)))
	req = httptest.NewRequest(http.MethodPost, "/events", strings.NewReader("x"))
	req.Header = binaryHeaders("ce-id", long, "ce-source", "/"+long, "ce-type", "com."+long)
	rec = httptest.NewRecorder()
	in.ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("ingest over the bounds: status %d, want 400: %.300s", rec.Code, rec.Body)
	}
	for _, line := range strings.Split(strings.TrimSpace(olog.String()), "\n") {
		if len(line) > 4*maxLogValue+512 {
			t.Errorf("ingest over the bounds: log line of %d bytes: %.300s...", len(line), line)
		}
	}
}
