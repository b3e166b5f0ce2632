package api

import (
	"net/http"
	"time"
)

// TriggersView is GET /api/v1/triggers: every trigger of the mesh.
type TriggersView struct {
	// Ingest is the path of the CloudEvents endpoint.
	Ingest string `json:"ingest"`
	// Routes are the HTTP routes.
	Routes []RouteView `json:"routes"`
	// Crons are the cron triggers with their next fire times.
	Crons []CronView `json:"crons"`
	// Webhooks are the webhook triggers with their delivery counts.
	Webhooks []WebhookView `json:"webhooks"`
}

// RouteView is one HTTP route.
type RouteView struct {
	Name   string `json:"name"`
	Method string `json:"method"`
	Path   string `json:"path"`
	// Type is the type of the events it emits.
	Type string `json:"type"`
	// Reply is true when the request waits for a function's answer.
	Reply bool `json:"reply,omitempty"`
	// Counts are the requests since `up` started, by outcome (accepted,
	// duplicate, rejected, unauthorized, unavailable, error).
	Counts map[string]int64 `json:"counts"`
}

// CronView is one cron trigger.
type CronView struct {
	Name     string `json:"name"`
	Schedule string `json:"schedule"`
	Timezone string `json:"timezone,omitempty"`
	Type     string `json:"type"`
	// Next are the next fire times, soonest first.
	Next []time.Time `json:"next"`
	// Counts are the ticks stored since `up` started, by outcome.
	Counts map[string]int64 `json:"counts"`
}

// WebhookView is one webhook trigger.
type WebhookView struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	Provider string `json:"provider"`
	// Type is the emitted type when set; else "<provider>.<event type>".
	Type string `json:"type,omitempty"`
	// Counts are the deliveries since `up` started, by outcome (accepted,
	// duplicate, unauthorized for a bad signature, ...).
	Counts map[string]int64 `json:"counts"`
}

// Triggers returns the triggers view, or an empty one when the API was
// given none.
func (a *API) Triggers() TriggersView {
	v := TriggersView{}
	if a.cfg.Triggers != nil {
		v = a.cfg.Triggers(a.cfg.Now())
	}
	if v.Routes == nil {
		v.Routes = []RouteView{}
	}
	if v.Crons == nil {
		v.Crons = []CronView{}
	}
	if v.Webhooks == nil {
		v.Webhooks = []WebhookView{}
	}
	return v
}

func (a *API) triggers(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, a.Triggers())
}
