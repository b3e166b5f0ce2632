package api

import (
	"context"
	"net/http"
	"time"

	"github.com/fnmesh/fnmesh/internal/history"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// RateWindow is the span of history the functions' figures are computed
// over.
const RateWindow = 5 * time.Minute

// FunctionView is one function as GET /api/v1/functions answers it.
type FunctionView struct {
	Function
	// Scale is the scaler's view (backlog, replicas desired and actual,
	// last decision); absent when no scaler of this `up` runs it.
	Scale *scale.FunctionStatus `json:"scale,omitempty"`
	// Recent are the figures of the last RateWindow of history.
	Recent Figures `json:"recent"`
}

// Figures count the attempts of a span of history.
type Figures struct {
	// Window is the span.
	Window history.Duration `json:"window"`
	// Attempts, OK, Retries and DeadLetters count attempts by outcome.
	Attempts    int `json:"attempts"`
	OK          int `json:"ok"`
	Retries     int `json:"retries"`
	DeadLetters int `json:"deadLetters"`
	// PerSecond is Attempts over Window.
	PerSecond float64 `json:"perSecond"`
	// ErrorRate is the share of attempts that did not end ok (0..1).
	ErrorRate float64 `json:"errorRate"`
	// Truncated is true when the history held more than the API read.
	Truncated bool `json:"truncated,omitempty"`
}

func (a *API) functions(w http.ResponseWriter, r *http.Request) {
	out, err := a.Functions(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"functions": out})
}

// Functions returns every function with the scaler's view and the
// figures of the last RateWindow of history.
func (a *API) Functions(ctx context.Context) ([]FunctionView, error) {
	status := map[string]scale.FunctionStatus{}
	if a.cfg.Status != nil {
		for _, s := range a.cfg.Status() {
			status[s.Function] = s
		}
	}
	out := []FunctionView{}
	for _, fn := range a.cfg.Functions {
		v := FunctionView{Function: fn}
		if s, ok := status[fn.Name]; ok {
			v.Scale = &s
		}
		if a.cfg.Recent != nil {
			v.Recent = figures(a.cfg.Recent.Counts(fn.Name, a.cfg.Now()), a.cfg.Recent.Span(), false)
			out = append(out, v)
			continue
		}
		res, err := a.cfg.Runs.Runs(ctx, history.Query{Function: fn.Name, Since: a.cfg.Now().Add(-RateWindow), Limit: history.MaxLimit})
		if err != nil {
			return nil, err
		}
		v.Recent = figures(countRecords(res.Records), RateWindow, res.Truncated || len(res.Records) == history.MaxLimit)
		out = append(out, v)
	}
	return out, nil
}

// countRecords counts records by outcome.
func countRecords(recs []history.Record) history.Counts {
	c := history.Counts{Attempts: len(recs)}
	for _, rec := range recs {
		switch rec.Outcome {
		case workers.OutcomeOK:
			c.OK++
		case workers.OutcomeRetry:
			c.Retries++
		case workers.OutcomeDeadLetter:
			c.DeadLetters++
		}
	}
	return c
}

func figures(c history.Counts, window time.Duration, truncated bool) Figures {
	f := Figures{Window: history.Duration(window), Attempts: c.Attempts, OK: c.OK, Retries: c.Retries, DeadLetters: c.DeadLetters, Truncated: truncated}
	f.PerSecond = float64(f.Attempts) / window.Seconds()
	if f.Attempts > 0 {
		f.ErrorRate = float64(f.Attempts-f.OK) / float64(f.Attempts)
	}
	return f
}
