package meshmap

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/triggers"
	"github.com/fnmesh/fnmesh/triggers/webhook"
)

// update rewrites the golden files under testdata/ instead of comparing.
var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// discard is a publisher that stores nothing: the tests here build
// triggers, they never serve.
type discard struct{}

func (discard) Publish(context.Context, *event.Event) (broker.Ack, error) { return broker.Ack{}, nil }

func routeTrigger(edit func(*config.Trigger)) config.Trigger {
	t := config.Trigger{
		Name: "orders-api",
		HTTP: &config.HTTPTrigger{Path: "/orders", Method: "POST"},
		Emit: config.Emit{Type: "com.example.order.created", Source: "/shop/api"},
	}
	if edit != nil {
		edit(&t)
	}
	return t
}

func cronTrigger(schedule, tz string, edit func(*config.CronTrigger)) config.Trigger {
	c := &config.CronTrigger{Schedule: schedule, Timezone: tz}
	if edit != nil {
		edit(c)
	}
	return config.Trigger{Name: "nightly", Cron: c, Emit: config.Emit{Type: "com.example.report.requested", Source: "/shop/cron"}}
}

func hookTrigger(name string, wh config.WebhookTrigger) config.Trigger {
	wh.Path = "/hooks/" + name
	return config.Trigger{Name: name, Webhook: &wh}
}

// build maps m and builds its triggers, reporting the problems of both.
func build(m *config.Mesh) error {
	cfg, err := Triggers(m)
	if err != nil {
		return err
	}
	_, err = triggers.NewMux(cfg, discard{})
	return err
}

// TestTriggerErrorsGolden pins the wording of the errors an operator sees
// for a mesh whose triggers cannot run: every message names the trigger,
// the field and the rule. Run with -update to rewrite the golden file.
func TestTriggerErrorsGolden(t *testing.T) {
	hmacNoHeader := hookTrigger("partner", config.WebhookTrigger{
		Provider: "hmac", SecretRef: &config.SecretRef{Value: "s"}, HMAC: &config.HMACScheme{Algorithm: "md5"},
	})
	cases := []struct {
		name    string
		trigger config.Trigger
	}{
		{name: "route without type", trigger: routeTrigger(func(c *config.Trigger) { c.Emit.Type = "" })},
		{name: "route mapping to a core attribute", trigger: routeTrigger(func(c *config.Trigger) { c.HTTP.Query = map[string]string{"t": "time"} })},
		{name: "route mapping to an upper-case name", trigger: routeTrigger(func(c *config.Trigger) { c.HTTP.Headers = map[string]string{"X-T": "Tenant"} })},
		{name: "route reply with negative timeout", trigger: routeTrigger(func(c *config.Trigger) { c.HTTP.Reply = &config.Reply{Timeout: -1} })},
		{name: "route path with a wildcard", trigger: routeTrigger(func(c *config.Trigger) { c.HTTP.Path = "/orders/{id}" })},
		{name: "cron schedule", trigger: cronTrigger("every day", "UTC", nil)},
		{name: "cron zone", trigger: cronTrigger("@daily", "Europe/Springfield", nil)},
		{name: "cron data", trigger: cronTrigger("@daily", "UTC", func(c *config.CronTrigger) { c.ContentType, c.Data = "text/csv", []any{1} })},
		{name: "cron policy", trigger: cronTrigger("@daily", "UTC", func(c *config.CronTrigger) { c.MissedRuns = "replay" })},
		{name: "webhook without secret", trigger: hookTrigger("github", config.WebhookTrigger{Provider: "github"})},
		{name: "webhook hmac scheme", trigger: hmacNoHeader},
	}
	var got bytes.Buffer
	for _, c := range cases {
		fmt.Fprintf(&got, "%s:\n\t%v\n", c.name, build(&config.Mesh{Triggers: []config.Trigger{c.trigger}}))
	}
	path := filepath.Join("testdata", "mux_errors.golden")
	if *update {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("errors differ from %s (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got.Bytes(), want)
	}
}

func TestTriggersReportsSecretsThatCannotBeResolved(t *testing.T) {
	m := &config.Mesh{
		Ingest: config.Ingest{TokenRef: &config.SecretRef{Env: "FNMESH_TEST_UNSET_INGEST_TOKEN"}},
		Triggers: []config.Trigger{
			routeTrigger(func(c *config.Trigger) {
				c.HTTP.TokenRef = &config.SecretRef{Env: "FNMESH_TEST_UNSET_TOKEN_VARIABLE"}
			}),
			hookTrigger("github", config.WebhookTrigger{
				Provider:   "github",
				SecretRefs: []config.SecretRef{{Value: "a"}, {Env: "FNMESH_TEST_UNSET_WEBHOOK_SECRET"}},
			}),
			{Name: "empty"},
		},
	}
	_, err := Triggers(m)
	if !errors.Is(err, triggers.ErrConfig) {
		t.Fatalf("error %v, want ErrConfig", err)
	}
	for _, want := range []string{
		`invalid trigger configuration: ingest.tokenRef: secret env FNMESH_TEST_UNSET_INGEST_TOKEN: variable not set`,
		`trigger "orders-api": http.tokenRef: secret env FNMESH_TEST_UNSET_TOKEN_VARIABLE`,
		`trigger "github": webhook.secretRefs[1]: secret env FNMESH_TEST_UNSET_WEBHOOK_SECRET`,
		`trigger "empty": http: one of http, cron or webhook is required`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not report %q:\n%v", want, err)
		}
	}
}

func TestTriggersMapsTheMesh(t *testing.T) {
	t.Setenv("FNMESH_TEST_GITHUB_SECRET", "gh-secret")
	m := &config.Mesh{
		APIVersion: config.APIVersion, Kind: config.Kind,
		Ingest: config.Ingest{MaxBodyBytes: 128 << 10, TokenRef: &config.SecretRef{Value: "ingest-token"}},
		Triggers: []config.Trigger{
			routeTrigger(func(c *config.Trigger) {
				c.HTTP.Headers = map[string]string{"X-Tenant": "tenant"}
				c.HTTP.Query = map[string]string{"region": "region"}
				c.HTTP.TokenRef = &config.SecretRef{Value: "route-token"}
				c.HTTP.Reply = &config.Reply{}
				c.Emit.Subject, c.Emit.Extensions = "orders", map[string]string{"team": "shop"}
			}),
			hookTrigger("github", config.WebhookTrigger{
				Provider: "github", SecretRef: &config.SecretRef{Env: "FNMESH_TEST_GITHUB_SECRET"},
				BodyDedupWindow: config.Duration(24 * time.Hour),
			}),
			hookTrigger("partner", config.WebhookTrigger{
				Provider:   "hmac",
				SecretRefs: []config.SecretRef{{Value: "new"}, {Value: "old"}},
				HMAC: &config.HMACScheme{Header: "X-Sig", Prefix: "sha256=", TimestampHeader: "X-Ts", IDHeader: "X-Id",
					SignedContent: "{id}.{timestamp}.{header:X-Event}.{body}"},
			}),
			cronTrigger("@daily", "Europe/Berlin", func(c *config.CronTrigger) {
				c.Jitter, c.MissedRuns, c.MaxCatchUp, c.Data = config.Duration(time.Minute), "catchUp", 3, map[string]any{"a": 1}
			}),
		},
	}
	m.SetDefaults()
	got, err := Triggers(m)
	if err != nil {
		t.Fatal(err)
	}
	want := triggers.MuxConfig{
		Ingest: triggers.IngestConfig{Path: "/events", MaxBodyBytes: 128 << 10, MaxInFlight: 1024, Token: []byte("ingest-token")},
		Routes: []triggers.RouteConfig{{
			Name: "orders-api", Path: "/orders", Method: "POST",
			Emit:    triggers.Emit{Type: "com.example.order.created", Source: "/shop/api", Subject: "orders", Extensions: map[string]string{"team": "shop"}},
			Headers: map[string]string{"X-Tenant": "tenant"}, Query: map[string]string{"region": "region"},
			Token: []byte("route-token"), Reply: true, ReplyTimeout: 30 * time.Second, MaxBodyBytes: 128 << 10,
		}},
		Hooks: []triggers.HookConfig{
			{
				Name: "github", Path: "/hooks/github", MaxBodyBytes: 128 << 10, BodyDedupWindow: 24 * time.Hour,
				Webhook: webhook.Config{Provider: "github", Secrets: [][]byte{[]byte("gh-secret")}},
				Emit:    triggers.Emit{Source: "/fnmesh/triggers/github"},
			},
			{
				Name: "partner", Path: "/hooks/partner", MaxBodyBytes: 128 << 10,
				Webhook: webhook.Config{
					Provider: "hmac", Secrets: [][]byte{[]byte("new"), []byte("old")}, Tolerance: 5 * time.Minute,
					Header: "X-Sig", Algorithm: "sha256", Encoding: "hex", Prefix: "sha256=", TimestampHeader: "X-Ts", IDHeader: "X-Id",
					SignedContent: "{id}.{timestamp}.{header:X-Event}.{body}",
				},
				Emit: triggers.Emit{Source: "/fnmesh/triggers/partner"},
			},
		},
		Crons: []triggers.CronConfig{{
			Name: "nightly", Schedule: "@daily", Timezone: "Europe/Berlin", Jitter: time.Minute,
			MissedRuns: "catchUp", MaxCatchUp: 3, Data: map[string]any{"a": 1}, ContentType: "application/json",
			Emit: triggers.Emit{Type: "com.example.report.requested", Source: "/shop/cron"},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mapped\n  %+v\nwant\n  %+v", got, want)
	}
	if _, err := triggers.NewMux(got, discard{}, triggers.WithReplies(noReplies{})); err != nil {
		t.Errorf("the mapped triggers do not build: %v", err)
	}
}

// noReplies satisfies triggers.Replies for a mux that is only built.
type noReplies struct{}

func (noReplies) Wait(context.Context, string, string) (*triggers.Waiter, error) {
	return nil, errors.New("not serving")
}

func TestRepliesWatchesTheMeshsDeadLetters(t *testing.T) {
	m := &config.Mesh{SubjectPrefix: "shop", DeadLetter: config.DeadLetterStream{SubjectPrefix: "failed"}}
	if got, want := Replies(m), (triggers.ReplyConfig{SubjectPrefix: "shop", DeadLetterPrefix: "failed"}); got != want {
		t.Errorf("Replies = %+v, want %+v", got, want)
	}
}
