package triggers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/fnmesh/fnmesh/internal/config"
)

// MuxDeps are what the triggers of a mesh share in one process.
type MuxDeps struct {
	// Replies waits for the answers of reply routes; required when a route
	// has http.reply.
	Replies *ReplyWaiter
	// WebhookIDs is the WebhookBucket; nil leaves webhook de-duplication
	// to the stream's duplicate window.
	WebhookIDs KeyValue
	// CronState is the CronBucket; nil disables missed-run detection.
	CronState KeyValue
	// Validator checks event data against registered schemas at ingest and
	// on HTTP routes; nil checks nothing.
	Validator DataValidator
	// Clock drives cron triggers; nil means the system clock.
	Clock Clock
	// Logger is passed to every trigger; nil discards.
	Logger *slog.Logger
	// Observer counts the events arriving at each trigger and starts the
	// span of each cron tick; nil observes nothing.
	Observer Observer
}

// Mux is the HTTP side of a mesh's triggers: the CloudEvents endpoint at
// ingest.path, every HTTP route and every webhook at its path, and a JSON
// 404 for anything else. It also builds the mesh's cron triggers, which the
// caller runs (Crons). Health and metrics endpoints are added by the caller
// with Handle.
type Mux struct {
	mux   *http.ServeMux
	crons []*Cron
	paths map[string]string
}

// NewMux builds every trigger of m (after m.SetDefaults, or with the same
// defaults applied by each trigger) and mounts the HTTP ones. All problems
// are reported at once, joined; each wraps ErrConfig and names its trigger.
func NewMux(m *config.Mesh, pub EventPublisher, deps MuxDeps) (*Mux, error) {
	if m == nil || pub == nil {
		return nil, fmt.Errorf("%w: mesh and publisher are required", ErrConfig)
	}
	mx := &Mux{mux: http.NewServeMux(), paths: map[string]string{}}
	log := orDiscard(deps.Logger)
	var errs []error

	ic := IngestConfig{
		MaxBodyBytes: m.Ingest.MaxBodyBytes,
		MaxInFlight:  m.Ingest.MaxInFlight,
		Validator:    deps.Validator,
		Log:          log,
	}
	if ref := m.Ingest.TokenRef; ref != nil {
		tok, err := ref.Resolve()
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: ingest.tokenRef: %v", ErrConfig, err))
		}
		ic.Token = tok
	}
	ingestPath := m.Ingest.Path
	if ingestPath == "" {
		ingestPath = config.DefaultIngestPath
	}
	ipub, counted := observed(deps.Observer, IngestTriggerName, pub)
	errs = append(errs, mx.mount("ingest.path", ingestPath, counted(NewIngest(ipub, ic))))

	maxBody := m.Ingest.MaxBodyBytes
	for _, t := range m.Triggers {
		tpub, counted := observed(deps.Observer, t.Name, pub)
		switch {
		case t.HTTP != nil:
			rt, err := NewRoute(t, tpub, RouteOptions{MaxBodyBytes: maxBody, Replies: deps.Replies, Validator: deps.Validator, Logger: log})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			errs = append(errs, mx.mount(fmt.Sprintf("trigger %q", t.Name), t.HTTP.Path, counted(rt)))
		case t.Webhook != nil:
			h, err := NewHook(t, tpub, deps.WebhookIDs, HookOptions{MaxBodyBytes: maxBody, Logger: log})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			errs = append(errs, mx.mount(fmt.Sprintf("trigger %q", t.Name), t.Webhook.Path, counted(h)))
		case t.Cron != nil:
			c, err := NewCron(t, pub, CronOptions{State: deps.CronState, Clock: deps.Clock, Logger: log, Observer: deps.Observer})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			mx.crons = append(mx.crons, c)
		default:
			errs = append(errs, configErr(t.Name, "http", "one of http, cron or webhook is required"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	mx.mux.HandleFunc("/", notFound)
	return mx, nil
}

// mount registers h at exactly path p.
func (mx *Mux) mount(owner, p string, h http.Handler) error {
	if err := checkMountPath(p); err != nil {
		return fmt.Errorf("%w: %s: path %q: %v", ErrConfig, owner, p, err)
	}
	if first, dup := mx.paths[p]; dup {
		return fmt.Errorf("%w: %s: path %q is already used by %s", ErrConfig, owner, p, first)
	}
	mx.paths[p] = owner
	pattern := p
	if strings.HasSuffix(p, "/") {
		pattern += "{$}" // the path itself, not the subtree
	}
	mx.mux.Handle(pattern, h)
	return nil
}

// checkMountPath accepts clean absolute paths without characters that
// http.ServeMux reads as pattern syntax.
func checkMountPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return errors.New("must start with '/'")
	case strings.ContainsAny(p, " \t\r\n?#{}%"):
		return errors.New("must not contain white space or any of ?#{}%")
	case p != "/" && path.Clean(p) != strings.TrimSuffix(p, "/"):
		return errors.New("must be a clean path (no '//', '.' or '..' segments)")
	case p == "/":
		return errors.New("must not be the root path")
	}
	return nil
}

// Handle registers h for pattern (http.ServeMux syntax, for example
// "GET /livez"). Like http.ServeMux.Handle it panics when pattern is invalid
// or conflicts with one already registered.
func (mx *Mux) Handle(pattern string, h http.Handler) { mx.mux.Handle(pattern, h) }

// ServeHTTP implements http.Handler.
func (mx *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) { mx.mux.ServeHTTP(w, r) }

// Crons returns the mesh's cron triggers, to be run (Cron.Run) by the
// caller, each in its own goroutine.
func (mx *Mux) Crons() []*Cron { return mx.crons }

// notFound answers paths no trigger serves.
func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, fmt.Errorf("no trigger at %s", r.URL.Path))
}
