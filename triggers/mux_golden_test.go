package triggers

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fnmesh/fnmesh/internal/config"
)

// TestNewMuxErrorsGolden pins the wording of the errors an operator sees
// for a mesh whose triggers cannot run: every message names the trigger,
// the field and the rule. Run with -update to rewrite the golden file.
func TestNewMuxErrorsGolden(t *testing.T) {
	hmacNoHeader := hookTrigger("partner", config.WebhookTrigger{
		Provider: "hmac", SecretRef: &config.SecretRef{Value: "s"}, HMAC: &config.HMACScheme{Algorithm: "md5"},
	}, "")
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
		{name: "webhook without secret", trigger: hookTrigger("github", config.WebhookTrigger{Provider: "github"}, "")},
		{name: "webhook hmac scheme", trigger: hmacNoHeader},
	}
	env := newTrEnv(t, 0)
	var got bytes.Buffer
	for _, c := range cases {
		m := &config.Mesh{Triggers: []config.Trigger{c.trigger}}
		_, err := NewMux(m, env.client, MuxDeps{})
		fmt.Fprintf(&got, "%s:\n\t%v\n", c.name, err)
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
