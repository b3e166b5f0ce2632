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
		res, err := a.cfg.Runs.Runs(ctx, history.Query{Function: fn.Name, Since: a.cfg.Now().Add(-RateWindow), Limit: history.MaxLimit})
		if err != nil {
			return nil, err
		}
		v.Recent = figures(res, RateWindow)
		out = append(out, v)
	}
	return out, nil
}

func figures(res history.Result, window time.Duration) Figures {
	f := Figures{Window: history.Duration(window), Attempts: len(res.Records), Truncated: res.Truncated || len(res.Records) == history.MaxLimit}
	for _, rec := range res.Records {
		switch rec.Outcome {
		case workers.OutcomeOK:
			f.OK++
		case workers.OutcomeRetry:
			f.Retries++
		case workers.OutcomeDeadLetter:
			f.DeadLetters++
		}
	}
	f.PerSecond = float64(f.Attempts) / window.Seconds()
	if f.Attempts > 0 {
		f.ErrorRate = float64(f.Attempts-f.OK) / float64(f.Attempts)
	}
	return f
}
