package app

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app/ui"
	"github.com/fnmesh/fnmesh/triggers"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// handler is the HTTP side of `up`: the triggers and the operational
// endpoints, the latter served without spans so that probes and scrapes
// do not flood the traces.
func (a *App) handler() (http.Handler, error) {
	ops := map[string]http.Handler{
		"GET /livez":  http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }),
		"GET /readyz": http.HandlerFunc(a.readyz),
	}
	api, err := a.api()
	if err != nil {
		return nil, err
	}
	// /status, /metrics and /api/v1/ take the bearer token when one is set
	// (FNMESH_OPS_TOKEN, else FNMESH_TOKEN); /livez and /readyz stay open
	// for probes.
	for pattern, h := range map[string]http.Handler{"GET /status": http.HandlerFunc(a.status), "GET /metrics": a.tel.MetricsHandler, "/api/v1/": api} {
		protected, err := triggers.RequireBearer([]byte(a.cfg.Env.OperationsToken()), h)
		if err != nil {
			return nil, fmt.Errorf("FNMESH_OPS_TOKEN: %w", err)
		}
		ops[pattern] = protected
	}
	// The dashboard takes the same token its own way (a browser cannot
	// send a bearer header on navigation: a session cookie).
	dash, err := ui.New(ui.Config{API: api, Token: a.cfg.Env.OperationsToken(), TraceURL: a.cfg.Env.TraceURL, Secure: a.cfg.Env.TLSCert != "", Log: a.log})
	if err != nil {
		return nil, err
	}
	ops[ui.Prefix] = dash
	// The mesh file refuses a trigger at /; the check keeps a Mux built
	// otherwise from losing its root to the redirect.
	if !a.triggerAt("/") {
		ops["GET /{$}"] = http.RedirectHandler(ui.Prefix, http.StatusFound)
	}
	untraced := make([]string, 0, len(ops))
	for pattern, h := range ops {
		a.mux.Handle(pattern, h)
		untraced = append(untraced, pattern)
	}
	return a.tel.HTTP(a.mux, untraced...), nil
}

// triggerAt reports whether a trigger (the ingest endpoint, a route or a
// webhook) is mounted at path p.
func (a *App) triggerAt(p string) bool {
	if a.triggerCfg.Ingest.Path == p {
		return true
	}
	for _, r := range a.triggerCfg.Routes {
		if r.Path == p {
			return true
		}
	}
	for _, h := range a.triggerCfg.Hooks {
		if h.Path == p {
			return true
		}
	}
	return false
}

// readyz answers 200 while `up` is not draining, the broker is reachable
// and every stream the mesh declares can take writes (broker.StreamCheck,
// answered at most once a second; a vanished stream is re-created).
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	switch {
	case a.draining.Load():
		http.Error(w, "draining", http.StatusServiceUnavailable)
	case !a.client.Connected():
		http.Error(w, "broker unreachable", http.StatusServiceUnavailable)
	default:
		if err := a.streams.Check(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// Status is what GET /status answers.
type Status struct {
	// Functions are the functions `up` scales, in file order per runtime.
	Functions []scale.FunctionStatus `json:"functions"`
	// Cluster is the embedded cluster: its nodes, the leader of each
	// stream and each node's replicas; absent on a single server.
	Cluster *ClusterStatus `json:"cluster,omitempty"`
	// Scheduled counts the events each stream with schedules keeps for
	// later; absent when no stream keeps schedules or the broker could
	// not count them.
	Scheduled []broker.StreamScheduled `json:"scheduled,omitempty"`
}

// status answers each scaled function's backlog, replicas and last
// decision.
func (a *App) status(w http.ResponseWriter, r *http.Request) {
	st := Status{Functions: []scale.FunctionStatus{}}
	for _, sc := range a.scalers {
		st.Functions = append(st.Functions, sc.Status()...)
	}
	st.Cluster = a.clusterStatus(r.Context())
	if n, err := a.client.CountScheduled(r.Context()); err != nil {
		a.log.Warn("status: count scheduled events", "error", err)
	} else {
		st.Scheduled = n
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}
