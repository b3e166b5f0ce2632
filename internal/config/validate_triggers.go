package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/fnmesh/fnmesh/triggers/endpoint"
	"github.com/fnmesh/fnmesh/triggers/schedule"
	"github.com/fnmesh/fnmesh/triggers/webhook"
)

// The rules of trigger settings that belong to the triggers (paths and
// methods, cron schedules and zones, webhook schemes) are the triggers'
// own: they are applied here through the leaf packages that hold them, so
// that a mesh that validates builds.

func (m *Mesh) validateTriggers(v *problems) {
	names := map[string]string{}
	paths := map[string]string{m.Ingest.Path: "ingest.path"}
	for i := range m.Triggers {
		t := &m.Triggers[i]
		p := fieldPath{}.key("triggers").index(i)
		checkName(v, p.key("name"), t.Name, names, fmt.Sprintf("triggers[%d].name", i))
		kinds := 0
		for _, set := range []bool{t.HTTP != nil, t.Cron != nil, t.Webhook != nil} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			v.add(p, "exactly one of http, cron or webhook must be set (found %d)", kinds)
		}
		if t.HTTP != nil {
			validateHTTPTrigger(v, p.key("http"), t.HTTP, paths)
		}
		if t.Cron != nil {
			validateCronTrigger(v, p.key("cron"), t.Cron)
		}
		if t.Webhook != nil {
			validateWebhookTrigger(v, p.key("webhook"), t.Webhook, paths)
		}
		validateEmit(v, p.key("emit"), &t.Emit, t.Webhook == nil)
	}
}

// validateTriggerPath checks a trigger path and that no other route uses it.
func validateTriggerPath(v *problems, p fieldPath, path string, paths map[string]string) {
	if err := endpoint.CheckPath(path); err != nil {
		v.add(p, "%v", err)
		return
	}
	if isReservedPath(path) {
		v.add(p, reservedPathsRule)
		return
	}
	if first, dup := paths[path]; dup {
		v.add(p, "path %q is already used by %s", path, first)
		return
	}
	paths[path] = p.String()
}

func validateHTTPTrigger(v *problems, p fieldPath, h *HTTPTrigger, paths map[string]string) {
	validateTriggerPath(v, p.key("path"), h.Path, paths)
	if err := endpoint.CheckMethod(h.Method); err != nil {
		v.add(p.key("method"), "%v", err)
	}
	for name, attr := range sortedMap(h.Headers) {
		if strings.TrimSpace(name) == "" {
			v.add(p.key("headers"), "header names must not be empty")
		}
		if !attributePattern.MatchString(attr) {
			v.add(p.key("headers").key(name), "must be a CloudEvents attribute name (1-20 lower-case letters or digits)")
		}
	}
	for name, attr := range sortedMap(h.Query) {
		if name == "" {
			v.add(p.key("query"), "query parameter names must not be empty")
		}
		if !attributePattern.MatchString(attr) {
			v.add(p.key("query").key(name), "must be a CloudEvents attribute name (1-20 lower-case letters or digits)")
		}
	}
	if h.Reply != nil && h.Reply.Timeout <= 0 {
		v.add(p.key("reply").key("timeout"), "must be positive")
	}
	if h.TokenRef != nil {
		validateSecretRef(v, p.key("tokenRef"), *h.TokenRef)
	}
}

func validateCronTrigger(v *problems, p fieldPath, c *CronTrigger) {
	if _, err := schedule.Parse(c.Schedule, time.UTC); err != nil {
		v.add(p.key("schedule"), "%v", err)
	}
	if _, err := schedule.LoadZone(c.Timezone); err != nil {
		v.add(p.key("timezone"), "%v", err)
	}
	if err := schedule.MissedRuns(c.MissedRuns).Check(); err != nil {
		v.add(p.key("missedRuns"), "%v", err)
	}
	if c.MaxCatchUp < 0 {
		v.add(p.key("maxCatchUp"), "must not be negative")
	}
	if strings.TrimSpace(c.ContentType) == "" {
		v.add(p.key("contentType"), "required")
	}
}

func validateWebhookTrigger(v *problems, p fieldPath, w *WebhookTrigger, paths map[string]string) {
	if err := webhook.CheckProvider(w.Provider); err != nil {
		v.add(p.key("provider"), "%v", err)
	}
	validateTriggerPath(v, p.key("path"), w.Path, paths)
	if err := webhook.CheckDedupWindow(w.BodyDedupWindow.D()); err != nil {
		v.add(p.key("bodyDedupWindow"), "%v", err)
	}
	if w.SecretRef == nil && len(w.SecretRefs) == 0 {
		v.add(p.key("secretRef"), "required: a webhook needs at least one secret (secretRef or secretRefs)")
	}
	if w.SecretRef != nil {
		validateSecretRef(v, p.key("secretRef"), *w.SecretRef)
	}
	for i, ref := range w.SecretRefs {
		validateSecretRef(v, p.key("secretRefs").index(i), ref)
	}
	switch {
	case w.Provider == webhook.ProviderHMAC && w.HMAC == nil:
		v.add(p.key("hmac"), "required for provider hmac")
	case w.Provider != webhook.ProviderHMAC && w.HMAC != nil:
		v.add(p.key("hmac"), "only allowed with provider hmac")
	case w.HMAC != nil:
		hp := p.key("hmac")
		if strings.TrimSpace(w.HMAC.Header) == "" {
			v.add(hp.key("header"), "required")
		}
		if err := webhook.CheckAlgorithm(w.HMAC.Algorithm); err != nil {
			v.add(hp.key("algorithm"), "%v", err)
		}
		if err := webhook.CheckEncoding(w.HMAC.Encoding); err != nil {
			v.add(hp.key("encoding"), "%v", err)
		}
		scheme := webhook.Config{Header: w.HMAC.Header, TimestampHeader: w.HMAC.TimestampHeader, IDHeader: w.HMAC.IDHeader, SignedContent: w.HMAC.SignedContent}
		if err := scheme.CheckSignedContent(); err != nil {
			v.add(hp.key("signedContent"), "%v", err)
		}
	}
}

func validateEmit(v *problems, p fieldPath, e *Emit, typeRequired bool) {
	if typeRequired && strings.TrimSpace(e.Type) == "" {
		v.add(p.key("type"), "required for http and cron triggers")
	}
	if strings.TrimSpace(e.Source) == "" {
		v.add(p.key("source"), "must not be empty")
	}
	for name := range sortedMap(e.Extensions) {
		if !attributePattern.MatchString(name) {
			v.add(p.key("extensions").key(name), "must be a CloudEvents attribute name (1-20 lower-case letters or digits)")
		}
	}
}
