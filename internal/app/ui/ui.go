package ui

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/fnmesh/fnmesh/internal/app/api"
)

//go:embed assets templates
var files embed.FS

// Prefix is where the dashboard is mounted.
const Prefix = "/ui/"

// TraceIDPlaceholder is replaced by a trace id in Config.TraceURL.
const TraceIDPlaceholder = "{traceId}"

// Config is what the dashboard serves from.
type Config struct {
	// API answers every page's data; required.
	API *api.API
	// Token, when set, is required: as a bearer header, or once through
	// the login form or ?token= (then a session cookie).
	Token string
	// TraceURL links trace ids to a trace UI: TraceIDPlaceholder is
	// replaced by the id ("http://localhost:16686/trace/{traceId}"); a URL
	// without it gets the id appended. Empty: trace ids are shown plain.
	TraceURL string
	// Secure marks the session cookie Secure (the listener serves HTTPS).
	Secure bool
	// Log receives the errors of the pages (nil discards).
	Log *slog.Logger
}

// UI serves the dashboard. It is an http.Handler for Prefix.
type UI struct {
	cfg   Config
	mux   *http.ServeMux
	pages map[string]*template.Template
	csrf  string
	// session is the cookie value a valid token maps to.
	session string
}

// New returns the dashboard of cfg.
func New(cfg Config) (*UI, error) {
	if cfg.API == nil {
		return nil, errors.New("ui: API is required")
	}
	if cfg.TraceURL != "" && !strings.HasPrefix(cfg.TraceURL, "http://") && !strings.HasPrefix(cfg.TraceURL, "https://") {
		return nil, fmt.Errorf("FNMESH_TRACE_URL: %q: must be an http:// or https:// URL, with %s where the trace id goes", cfg.TraceURL, TraceIDPlaceholder)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	u := &UI{cfg: cfg, mux: http.NewServeMux(), csrf: hex.EncodeToString(key[:16]), pages: map[string]*template.Template{}}
	if cfg.Token != "" {
		u.session = sessionOf(cfg.Token)
	}
	if err := u.parse(); err != nil {
		return nil, err
	}
	assets, err := fs.Sub(files, "assets")
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	static := http.StripPrefix(Prefix+"assets/", http.FileServerFS(assets))
	u.mux.Handle("GET "+Prefix+"assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		static.ServeHTTP(w, r)
	}))
	u.mux.HandleFunc("GET "+Prefix+"login", u.loginForm)
	u.mux.HandleFunc("POST "+Prefix+"login", u.login)
	u.mux.Handle("POST "+Prefix+"logout", u.authed(http.HandlerFunc(u.logout)))
	u.mux.Handle("GET "+Prefix+"{$}", u.authed(http.HandlerFunc(u.overview)))
	u.mux.Handle("GET "+Prefix+"functions/{name}", u.authed(http.HandlerFunc(u.function)))
	u.mux.Handle("GET "+Prefix+"events/{id}", u.authed(http.HandlerFunc(u.event)))
	u.mux.Handle("GET "+Prefix+"events/{$}", u.authed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimSpace(r.URL.Query().Get("id"))
		if id == "" {
			u.errorPage(w, r, http.StatusBadRequest, "id: give an event id to look up.")
			return
		}
		http.Redirect(w, r, Prefix+"events/"+url.PathEscape(id), http.StatusSeeOther)
	})))
	u.mux.Handle("GET "+Prefix+"deadletters", u.authed(http.HandlerFunc(u.deadLetters)))
	u.mux.Handle("POST "+Prefix+"deadletters/{action}", u.authed(http.HandlerFunc(u.act)))
	u.mux.Handle("GET "+Prefix+"scheduled", u.authed(http.HandlerFunc(u.scheduled)))
	u.mux.Handle("POST "+Prefix+"scheduled/cancel", u.authed(http.HandlerFunc(u.cancelScheduled)))
	u.mux.Handle("GET "+Prefix+"triggers", u.authed(http.HandlerFunc(u.triggers)))
	u.mux.Handle("GET "+Prefix+"stream", u.authed(http.HandlerFunc(u.stream)))
	u.mux.Handle(Prefix, u.authed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.errorPage(w, r, http.StatusNotFound, "No such page: "+r.URL.Path)
	})))
	return u, nil
}

// ServeHTTP serves the dashboard with its security headers.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	u.mux.ServeHTTP(w, r)
}

// page is what every template gets.
type page struct {
	Title string
	// Nav names the section highlighted in the navigation.
	Nav  string
	CSRF string
	// Auth is true when a token guards the dashboard (a logout is shown).
	Auth bool
	// Stream is the query of /ui/stream the page follows ("" = none).
	Stream string
	Data   any
}

var pageNames = []string{"overview", "function", "event", "deadletters", "scheduled", "triggers", "login", "error"}

func (u *UI) parse() error {
	funcs := funcMap(u.cfg.TraceURL)
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/runs.html", "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("ui: template %s: %w", name, err)
		}
		u.pages[name] = t
	}
	return nil
}

// render writes page name with status; a template error is logged and
// answered as a plain 500 (a bug, not bad input).
func (u *UI) render(w http.ResponseWriter, status int, name string, p page) {
	p.CSRF, p.Auth = u.csrf, u.cfg.Token != ""
	var buf bytes.Buffer
	if err := u.pages[name].Execute(&buf, p); err != nil {
		u.cfg.Log.Error("ui: render", "page", name, "error", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func (u *UI) errorPage(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	u.render(w, status, "error", page{Title: http.StatusText(status), Data: map[string]any{"Status": status, "Message": msg}})
}

// failed answers an error of the broker or the history.
func (u *UI) failed(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return
	}
	u.cfg.Log.Warn("ui: broker error", "path", r.URL.Path, "error", err)
	u.errorPage(w, r, http.StatusServiceUnavailable, "The broker could not answer: "+err.Error())
}
