package triggers

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// muxConfig is a route, a webhook and a cron trigger beside the ingest
// endpoint.
func muxConfig() MuxConfig {
	gh := hookCases()[0].trigger
	gh.Path = "/hooks/github/"
	return MuxConfig{
		Routes: []RouteConfig{routeTrigger(nil)},
		Hooks:  []HookConfig{gh},
		Crons:  []CronConfig{cronTrigger("0 2 * * *", "Europe/Berlin", nil)},
	}
}

func TestMuxServesEveryTrigger(t *testing.T) {
	env := newTrEnv(t, 0)
	mx, err := NewMux(muxConfig(), env.client,
		WithWebhookIDs(env.bucket(t, env.client, WebhookBucket, WebhookDedupTTL)),
		WithCronState(env.bucket(t, env.client, CronBucket, 0)),
	)
	if err != nil {
		t.Fatal(err)
	}
	mx.Handle("GET /livez", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	hs := httptest.NewServer(mx)
	t.Cleanup(hs.Close)

	gh := hookCases()[0]
	ceHeader := http.Header{
		"Ce-Specversion": {"1.0"}, "Ce-Id": {"ingested-1"}, "Ce-Source": {"/test"},
		"Ce-Type": {"com.example.ingested"}, "Content-Type": {"text/plain"},
	}
	tests := []struct {
		name       string
		method     string
		path       string
		header     http.Header
		body       string
		wantStatus int
	}{
		{name: "ingest", method: http.MethodPost, path: "/events", header: ceHeader, body: "hi", wantStatus: 202},
		{name: "route", method: http.MethodPost, path: "/orders", body: "{}", wantStatus: 202},
		{name: "webhook", method: http.MethodPost, path: "/hooks/github/", header: gh.sign(t, []byte(gh.body), gh.secret, time.Now()), body: gh.body, wantStatus: 202},
		{name: "below a webhook path", method: http.MethodPost, path: "/hooks/github/more", body: "{}", wantStatus: 404},
		{name: "unknown path", method: http.MethodGet, path: "/nope", wantStatus: 404},
		{name: "caller's handler", method: http.MethodGet, path: "/livez", wantStatus: 200},
		{name: "route with the wrong method", method: http.MethodGet, path: "/orders", wantStatus: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := trDo(t, tt.method, hs.URL+tt.path, tt.header, tt.body)
			if a.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", a.status, tt.wantStatus, a.body)
			}
			if tt.wantStatus == 404 && !strings.Contains(a.body, `"error":"no trigger at `+tt.path+`"`) {
				t.Errorf("404 body %s", a.body)
			}
		})
	}
	types := map[string]bool{}
	for _, e := range env.events(t) {
		types[e.Type()] = true
	}
	for _, want := range []string{"com.example.ingested", "com.example.order.created", "github.pull_request.opened"} {
		if !types[want] {
			t.Errorf("no %s event stored (have %v)", want, types)
		}
	}
	if cs := mx.Crons(); len(cs) != 1 || cs[0].Name() != "nightly" {
		t.Errorf("Crons() = %v, want the nightly trigger", cs)
	}
}

func TestNewMuxReportsEveryProblem(t *testing.T) {
	env := newTrEnv(t, 0)
	cfg := muxConfig()
	cfg.Routes = append(cfg.Routes,
		routeTrigger(func(c *RouteConfig) { c.Name, c.Path = "shadow", "/events" }),
		routeTrigger(func(c *RouteConfig) { c.Name, c.Path = "wildcard", "/orders/{id}" }),
		routeTrigger(func(c *RouteConfig) { c.Name, c.Path = "relative", "orders" }),
		routeTrigger(func(c *RouteConfig) { c.Name, c.Path = "unclean", "/a//b" }),
		routeTrigger(func(c *RouteConfig) { c.Name, c.Emit.Type = "untyped", "" }),
		routeTrigger(func(c *RouteConfig) { c.Name, c.Path = "nowhere", "" }),
	)
	cfg.Crons = append(cfg.Crons, cronTrigger("nonsense", "UTC", nil))
	_, err := NewMux(cfg, env.client)
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("error %v, want ErrConfig", err)
	}
	for _, want := range []string{
		`trigger "shadow": path "/events" is already used by ingest.path`,
		`trigger "wildcard": path "/orders/{id}": must not contain`,
		`trigger "relative": path "orders": must start with '/'`,
		`trigger "unclean": path "/a//b": must be a clean path`,
		`trigger "untyped": emit.type: required`,
		`trigger "nowhere": path "": required`,
		`trigger "nightly": cron.schedule`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not report %q:\n%v", want, err)
		}
	}
}

func TestNewMuxIngestConfigErrors(t *testing.T) {
	env := newTrEnv(t, 0)
	tests := []struct {
		name   string
		ingest IngestConfig
		want   string
	}{
		{name: "in-flight bound", ingest: IngestConfig{MaxInFlight: -1}, want: "ingest.maxInFlight: must be at least 1, got -1"},
		{name: "body limit", ingest: IngestConfig{MaxBodyBytes: 1000}, want: "ingest.maxBodyBytes: must be at least 65536 (64 KiB), got 1000"},
		{name: "token", ingest: IngestConfig{Token: []byte("  ")}, want: "ingest.tokenRef: the token must not be white space only"},
		{name: "path", ingest: IngestConfig{Path: "/a b"}, want: "ingest.path: path \"/a b\": must not contain white space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewMux(MuxConfig{Ingest: tt.ingest}, env.client)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrConfig with %q", err, tt.want)
			}
		})
	}
}
