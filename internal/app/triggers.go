package app

import (
	"context"
	"slices"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/schemas"
	"github.com/fnmesh/fnmesh/triggers"
)

// triggers builds the HTTP side and the cron triggers of the mesh with what
// they need from the broker: key-value buckets for webhook de-duplication
// and cron state, a reply waiter when a route answers with a function's
// event, and the event data schemas.
func (a *App) triggers(ctx context.Context) (*triggers.Mux, error) {
	m := a.m
	if tok := a.cfg.Env.Token; tok != "" {
		// FNMESH_TOKEN overrides ingest.tokenRef; the mesh itself is not
		// modified.
		mc := *m
		mc.Ingest.TokenRef = &config.SecretRef{Value: tok}
		m = &mc
	}
	cfg, err := meshmap.Triggers(m)
	if err != nil {
		return nil, err
	}
	a.triggerCfg, a.counts = cfg, newTriggerCounts(a.tel)
	opts := []triggers.Option{triggers.WithLogger(a.log), triggers.WithObserver(a.counts)}
	if len(cfg.Hooks) > 0 {
		kv, err := a.client.KeyValue(ctx, meshmap.KV(m, broker.KVConfig{Bucket: triggers.WebhookBucket, Description: "webhook delivery ids", TTL: triggers.WebhookDedupTTL}))
		if err != nil {
			return nil, err
		}
		opts = append(opts, triggers.WithWebhookIDs(kv))
	}
	if len(cfg.Crons) > 0 {
		kv, err := a.client.KeyValue(ctx, meshmap.KV(m, broker.KVConfig{Bucket: triggers.CronBucket, Description: "last cron ticks"}))
		if err != nil {
			return nil, err
		}
		opts = append(opts, triggers.WithCronState(kv))
	}
	if slices.ContainsFunc(cfg.Routes, func(r triggers.RouteConfig) bool { return r.Reply }) {
		rw, err := triggers.NewReplyWaiter(a.nc, meshmap.Replies(m), triggers.WithLogger(a.log))
		if err != nil {
			return nil, err
		}
		a.replies = rw
		opts = append(opts, triggers.WithReplies(rw))
	}
	if len(m.EventSchemas) > 0 {
		files := make(map[string]string, len(m.EventSchemas))
		for _, es := range m.EventSchemas {
			files[es.Type] = m.Resolve(es.Schema)
		}
		reg, err := schemas.NewRegistry(files)
		if err != nil {
			return nil, err
		}
		opts = append(opts, triggers.WithValidator(reg))
	}
	return triggers.NewMux(cfg, a.client, opts...)
}
