package meshmap

import (
	"errors"
	"fmt"

	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/triggers"
	"github.com/fnmesh/fnmesh/triggers/webhook"
)

// Triggers maps the mesh's ingest section and triggers onto the triggers'
// configuration: secret references are resolved to their values, the
// ingest body limit applies to routes and webhooks as well, and a webhook
// scheme that signs no timestamp gets no tolerance (the mesh file gives
// every webhook one by default). m has had SetDefaults (config.Load does
// both that and validation).
//
// Every problem is reported at once, joined; each is a
// *triggers.ConfigError naming the trigger and the field of the mesh file.
func Triggers(m *config.Mesh) (triggers.MuxConfig, error) {
	var (
		cfg  triggers.MuxConfig
		errs []error
	)
	cfg.Ingest = triggers.IngestConfig{
		Path:         m.Ingest.Path,
		MaxBodyBytes: m.Ingest.MaxBodyBytes,
		MaxInFlight:  m.Ingest.MaxInFlight,
	}
	if ref := m.Ingest.TokenRef; ref != nil {
		tok, err := resolve("", "ingest.tokenRef", *ref)
		errs = append(errs, err)
		cfg.Ingest.Token = tok
	}
	for _, t := range m.Triggers {
		switch {
		case t.HTTP != nil:
			rc, err := route(t, m.Ingest.MaxBodyBytes)
			errs = append(errs, err)
			cfg.Routes = append(cfg.Routes, rc)
		case t.Webhook != nil:
			hc, err := hook(t, m.Ingest.MaxBodyBytes)
			errs = append(errs, err)
			cfg.Hooks = append(cfg.Hooks, hc)
		case t.Cron != nil:
			cfg.Crons = append(cfg.Crons, cron(t))
		default:
			errs = append(errs, &triggers.ConfigError{Trigger: t.Name, Field: "http", Rule: "one of http, cron or webhook is required"})
		}
	}
	return cfg, errors.Join(errs...)
}

// Replies maps the subjects a reply waiter watches: the events' answers and
// the dead letters, so that a reply route whose event is dead-lettered is
// answered at once.
func Replies(m *config.Mesh) triggers.ReplyConfig {
	return triggers.ReplyConfig{SubjectPrefix: m.SubjectPrefix, DeadLetterPrefix: m.DeadLetter.SubjectPrefix}
}

// emit maps an emit block.
func emit(e config.Emit) triggers.Emit {
	return triggers.Emit{Type: e.Type, Source: e.Source, Subject: e.Subject, Extensions: e.Extensions}
}

// route maps an HTTP trigger.
func route(t config.Trigger, maxBody int64) (triggers.RouteConfig, error) {
	h := t.HTTP
	rc := triggers.RouteConfig{
		Name:         t.Name,
		Path:         h.Path,
		Method:       h.Method,
		Emit:         emit(t.Emit),
		Headers:      h.Headers,
		Query:        h.Query,
		MaxBodyBytes: maxBody,
	}
	if h.Reply != nil {
		rc.Reply, rc.ReplyTimeout = true, h.Reply.Timeout.D()
	}
	if h.TokenRef == nil {
		return rc, nil
	}
	var err error
	rc.Token, err = resolve(t.Name, "http.tokenRef", *h.TokenRef)
	return rc, err
}

// hook maps a webhook trigger.
func hook(t config.Trigger, maxBody int64) (triggers.HookConfig, error) {
	wh := t.Webhook
	vc := webhook.Config{Provider: wh.Provider, Tolerance: wh.Tolerance.D()}
	var errs []error
	add := func(field string, ref config.SecretRef) {
		secret, err := resolve(t.Name, field, ref)
		errs = append(errs, err)
		if err == nil {
			vc.Secrets = append(vc.Secrets, secret)
		}
	}
	if wh.SecretRef != nil {
		add("webhook.secretRef", *wh.SecretRef)
	}
	for i, ref := range wh.SecretRefs {
		add(fmt.Sprintf("webhook.secretRefs[%d]", i), ref)
	}
	if hm := wh.HMAC; hm != nil {
		vc.Header, vc.Algorithm, vc.Encoding = hm.Header, hm.Algorithm, hm.Encoding
		vc.Prefix, vc.TimestampHeader, vc.IDHeader = hm.Prefix, hm.TimestampHeader, hm.IDHeader
		vc.SignedContent = hm.SignedContent
	}
	if wh.Provider == webhook.ProviderGitHub || (wh.Provider == webhook.ProviderHMAC && vc.TimestampHeader == "") {
		vc.Tolerance = 0 // the scheme signs no timestamp to apply it to
	}
	hc := triggers.HookConfig{
		Name: t.Name, Path: wh.Path, Webhook: vc, Emit: emit(t.Emit), MaxBodyBytes: maxBody,
		BodyDedupWindow: wh.BodyDedupWindow.D(),
	}
	return hc, errors.Join(errs...)
}

// cron maps a cron trigger.
func cron(t config.Trigger) triggers.CronConfig {
	c := t.Cron
	return triggers.CronConfig{
		Name:        t.Name,
		Schedule:    c.Schedule,
		Timezone:    c.Timezone,
		Jitter:      c.Jitter.D(),
		MissedRuns:  c.MissedRuns,
		MaxCatchUp:  c.MaxCatchUp,
		Data:        c.Data,
		ContentType: c.ContentType,
		Emit:        emit(t.Emit),
	}
}

// resolve reads a secret, as a *triggers.ConfigError naming the trigger
// and field when it cannot.
func resolve(trigger, field string, ref config.SecretRef) ([]byte, error) {
	secret, err := ref.Resolve()
	if err != nil {
		return nil, &triggers.ConfigError{Trigger: trigger, Field: field, Rule: err.Error()}
	}
	return secret, nil
}
