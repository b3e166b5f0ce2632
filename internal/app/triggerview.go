package app

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/fnmesh/fnmesh/internal/app/api"
	"github.com/fnmesh/fnmesh/triggers"
)

// nextFires is how many next fire times the triggers view gives per cron.
const nextFires = 3

// triggerCounts counts the events arriving at each trigger by outcome,
// for the triggers view, and passes everything on to next.
type triggerCounts struct {
	next triggers.Observer
	mu   sync.Mutex
	n    map[string]map[string]int64
}

func newTriggerCounts(next triggers.Observer) *triggerCounts {
	return &triggerCounts{next: next, n: map[string]map[string]int64{}}
}

// CountReceived implements triggers.Observer.
func (c *triggerCounts) CountReceived(ctx context.Context, trigger, outcome string, n int) {
	c.mu.Lock()
	m := c.n[trigger]
	if m == nil {
		m = map[string]int64{}
		c.n[trigger] = m
	}
	m[outcome] += int64(n)
	c.mu.Unlock()
	c.next.CountReceived(ctx, trigger, outcome, n)
}

// StartTick implements triggers.Observer.
func (c *triggerCounts) StartTick(ctx context.Context, trigger string, tick time.Time) (context.Context, func(error)) {
	return c.next.StartTick(ctx, trigger, tick)
}

// of returns a copy of the counts of trigger (never nil).
func (c *triggerCounts) of(trigger string) map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := maps.Clone(c.n[trigger])
	if out == nil {
		out = map[string]int64{}
	}
	return out
}

// triggersView is every trigger of the mesh for GET /api/v1/triggers and
// the dashboard: routes, crons with their next fire times after now, and
// webhooks, each with its counts since `up` started.
func (a *App) triggersView(now time.Time) api.TriggersView {
	cfg := a.triggerCfg
	v := api.TriggersView{Ingest: cfg.Ingest.Path}
	if v.Ingest == "" {
		v.Ingest = triggers.DefaultIngestPath
	}
	for _, r := range cfg.Routes {
		method := r.Method
		if method == "" {
			method = "POST"
		}
		v.Routes = append(v.Routes, api.RouteView{Name: r.Name, Method: method, Path: r.Path, Type: r.Emit.Type, Reply: r.Reply, Counts: a.counts.of(r.Name)})
	}
	crons := map[string]*triggers.Cron{}
	if a.mux != nil {
		for _, c := range a.mux.Crons() {
			crons[c.Name()] = c
		}
	}
	for _, c := range cfg.Crons {
		cv := api.CronView{Name: c.Name, Schedule: c.Schedule, Timezone: c.Timezone, Type: c.Emit.Type, Next: []time.Time{}, Counts: a.counts.of(c.Name)}
		if cr := crons[c.Name]; cr != nil {
			t := now
			for range nextFires {
				t = cr.Next(t)
				if t.IsZero() {
					break
				}
				cv.Next = append(cv.Next, t)
			}
		}
		v.Crons = append(v.Crons, cv)
	}
	providers := map[string]string{}
	for _, t := range a.m.Triggers {
		if t.Webhook != nil {
			providers[t.Name] = t.Webhook.Provider
		}
	}
	for _, h := range cfg.Hooks {
		v.Webhooks = append(v.Webhooks, api.WebhookView{Name: h.Name, Path: h.Path, Provider: providers[h.Name], Type: h.Emit.Type, Counts: a.counts.of(h.Name)})
	}
	return v
}
