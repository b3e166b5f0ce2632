package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/history"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// Runs answers run history queries (history.Reader).
type Runs interface {
	Runs(ctx context.Context, q history.Query) (history.Result, error)
}

// Recent counts the attempts of the last span of history of a function
// (history.Window).
type Recent interface {
	Span() time.Duration
	Counts(fn string, now time.Time) history.Counts
}

// Events reads stored events (broker.Client).
type Events interface {
	GetEvent(ctx context.Context, stream string, seq uint64) (broker.StoredEvent, error)
	ReadStream(ctx context.Context, stream, filter string, fn func(broker.StoredEvent) bool) error
}

// DeadLetters lists, redrives and purges dead letters
// (broker.DeadLetterQueue).
type DeadLetters interface {
	List(ctx context.Context, fn string, since time.Time, visit func(broker.DeadLetter) bool) error
	RedriveSelected(ctx context.Context, sel broker.Selection, dryRun bool) (int, error)
	Purge(ctx context.Context, sel broker.Selection, dryRun bool) (int, error)
}

// Function is what the API knows of a function before it asks the
// scaler and the history.
type Function struct {
	// Name of the function.
	Name string `json:"name"`
	// Stream it consumes.
	Stream string `json:"stream"`
	// Runtime is process, docker or kubernetes.
	Runtime string `json:"runtime"`
	// Concurrency is the handlers in flight per replica.
	Concurrency int `json:"concurrency"`
	// Timeout of one attempt.
	Timeout history.Duration `json:"timeout"`
	// Retry is the number of retries after the first attempt.
	Retry int `json:"retry"`
	// MinReplicas and MaxReplicas bound the scaling.
	MinReplicas int `json:"minReplicas"`
	MaxReplicas int `json:"maxReplicas"`
	// Subjects are its consumer's filter subjects.
	Subjects []string `json:"subjects"`
	// RateLimit, Ordering and Batch are its flow settings, when set.
	RateLimit *config.RateLimit `json:"rateLimit,omitempty"`
	Ordering  *config.Ordering  `json:"ordering,omitempty"`
	Batch     *config.Batch     `json:"batch,omitempty"`
	// Match applies the function's finer filters (source, CESQL, ...) to
	// the events a replay sends it; nil matches every event.
	Match func(*event.Event) bool `json:"-"`
}

// Replayer sends stored events again to one function (broker.Client).
type Replayer interface {
	Replay(ctx context.Context, spec broker.ReplaySpec) (int, error)
}

// Config is what the API serves from. Runs, Events and DeadLetters are
// required; Status may be nil (no scaler runs).
type Config struct {
	Runs   Runs
	Events Events
	// Replayer sends events again (nil: POST /api/v1/replay answers 404).
	Replayer Replayer
	// Scheduled lists and cancels scheduled events (nil: the
	// /api/v1/scheduled endpoints answer 404).
	Scheduled   Scheduled
	DeadLetters DeadLetters
	// Functions are the mesh's functions, in file order.
	Functions []Function
	// Streams are the event streams searched when the history does not
	// know an event.
	Streams []string
	// Recent counts the last RateWindow of history per function
	// (history.Window fed by `up`'s history reader); nil reads the figures
	// from Runs on each request.
	Recent Recent
	// Status returns the scaler's view of each function it scales.
	Status func() []scale.FunctionStatus
	// Log receives the errors answered 502/503 (nil discards).
	Log *slog.Logger
	// Now is the clock (nil = time.Now).
	Now func() time.Time
	// Triggers describes the mesh's triggers at a time (nil: none).
	Triggers func(now time.Time) TriggersView
	// StreamInterval is how often GET /api/v1/stream reads new history
	// (0 = StreamInterval).
	StreamInterval time.Duration
}

// API serves /api/v1/.
type API struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the API of cfg.
func New(cfg Config) (*API, error) {
	if cfg.Runs == nil || cfg.Events == nil || cfg.DeadLetters == nil {
		return nil, errors.New("api: Runs, Events and DeadLetters are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &API{cfg: cfg, mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /api/v1/functions", a.functions)
	a.mux.HandleFunc("GET /api/v1/runs", a.runs)
	a.mux.HandleFunc("GET /api/v1/events/{id}", a.event)
	a.mux.HandleFunc("GET /api/v1/deadletters", a.deadLetters)
	a.mux.HandleFunc("POST /api/v1/deadletters/redrive", a.redrive)
	a.mux.HandleFunc("POST /api/v1/deadletters/purge", a.purge)
	a.mux.HandleFunc("GET /api/v1/triggers", a.triggers)
	a.mux.HandleFunc("GET /api/v1/stream", a.stream)
	if cfg.Replayer != nil {
		a.mux.HandleFunc("POST /api/v1/replay", a.replay)
	}
	if cfg.Scheduled != nil {
		a.routeScheduled()
	}
	a.mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return a, nil
}

// FunctionList returns the mesh's functions (Config.Functions, in file
// order).
func (a *API) FunctionList() []Function { return a.cfg.Functions }

// Runs answers a history query.
func (a *API) Runs(ctx context.Context, q history.Query) (history.Result, error) {
	return a.cfg.Runs.Runs(ctx, q)
}

// ServeHTTP serves the API.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Error is the body of every answer that is not 2xx.
type Error struct {
	// Error says what is wrong.
	Error string `json:"error"`
	// Field names the query parameter or body field at fault, if any.
	Field string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, status int, field, msg string) {
	writeJSON(w, status, Error{Error: msg, Field: field})
}

// fail answers an error of the broker: 503, never the error's text twice
// in logs.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return
	}
	a.cfg.Log.Warn("api: broker error", "path", r.URL.Path, "error", err)
	writeError(w, http.StatusServiceUnavailable, "", err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
