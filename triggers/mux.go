package triggers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/fnmesh/fnmesh/triggers/endpoint"
)

// MuxConfig is every trigger of one process: the CloudEvents endpoint, the
// HTTP routes, the webhooks and the cron triggers.
type MuxConfig struct {
	// Ingest configures the CloudEvents endpoint, mounted at Ingest.Path.
	Ingest IngestConfig
	// Routes are mounted at their paths.
	Routes []RouteConfig
	// Hooks are mounted at their paths.
	Hooks []HookConfig
	// Crons are built for the caller to run (Mux.Crons).
	Crons []CronConfig
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

// NewMux builds every trigger of cfg publishing through pub, each with
// opts, and mounts the HTTP ones. All problems are reported at once,
// joined; each wraps ErrConfig and names its trigger.
func NewMux(cfg MuxConfig, pub EventPublisher, opts ...Option) (*Mux, error) {
	if pub == nil {
		return nil, fmt.Errorf("%w: a publisher is required", ErrConfig)
	}
	mx := &Mux{mux: http.NewServeMux(), paths: map[string]string{}}
	obs := applyOptions(opts).observer
	var errs []error

	ingest := cfg.Ingest.withDefaults()
	ipub, counted := observed(obs, IngestTriggerName, pub)
	if in, err := NewIngest(ingest, ipub, opts...); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, mx.mount("ingest.path", ingest.Path, counted(in)))
	}
	// add builds one HTTP trigger with its own observed publisher and
	// mounts it.
	add := func(name, path string, build func(EventPublisher) (http.Handler, error)) {
		tpub, counted := observed(obs, name, pub)
		h, err := build(tpub)
		if err != nil {
			errs = append(errs, err)
			return
		}
		errs = append(errs, mx.mount(fmt.Sprintf("trigger %q", name), path, counted(h)))
	}
	for _, rc := range cfg.Routes {
		add(rc.Name, rc.Path, func(p EventPublisher) (http.Handler, error) {
			rt, err := NewRoute(rc, p, opts...)
			if err != nil {
				return nil, err
			}
			return rt, nil
		})
	}
	for _, hc := range cfg.Hooks {
		add(hc.Name, hc.Path, func(p EventPublisher) (http.Handler, error) {
			h, err := NewHook(hc, p, opts...)
			if err != nil {
				return nil, err
			}
			return h, nil
		})
	}
	for _, cc := range cfg.Crons {
		c, err := NewCron(cc, pub, opts...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		mx.crons = append(mx.crons, c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	mx.mux.HandleFunc("/", notFound)
	return mx, nil
}

// mount registers h at exactly path p.
func (mx *Mux) mount(owner, p string, h http.Handler) error {
	if err := endpoint.CheckPath(p); err != nil {
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
