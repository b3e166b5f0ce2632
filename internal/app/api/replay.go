package api

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
)

// replayRequest is the body of POST /api/v1/replay.
type replayRequest struct {
	Function string `json:"function"`
	Since    string `json:"since"`
	Until    string `json:"until,omitempty"`
	CESQL    string `json:"cesql,omitempty"`
	DryRun   bool   `json:"dryRun,omitempty"`
}

// Replayed is the answer of POST /api/v1/replay.
type Replayed struct {
	// Count is how many events were (or, with DryRun, would be) sent.
	Count    int    `json:"count"`
	DryRun   bool   `json:"dryRun"`
	Function string `json:"function"`
}

// ParseReplay reads and checks a replay request against the functions.
func ParseReplay(body io.Reader, fns []Function, now time.Time) (broker.ReplaySpec, error) {
	var rq replayRequest
	dec := json.NewDecoder(io.LimitReader(body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rq); err != nil {
		return broker.ReplaySpec{}, &FieldError{"body", "must be a JSON object {function, since, until, cesql, dryRun}: " + err.Error()}
	}
	var fn *Function
	for i := range fns {
		if fns[i].Name == rq.Function {
			fn = &fns[i]
		}
	}
	if rq.Function == "" {
		return broker.ReplaySpec{}, &FieldError{"function", "is required: the one function that handles the events again"}
	}
	if fn == nil {
		return broker.ReplaySpec{}, &FieldError{"function", "no function " + rq.Function + " in the mesh"}
	}
	if rq.Since == "" {
		return broker.ReplaySpec{}, &FieldError{"since", "is required (an RFC 3339 time or a duration back from now)"}
	}
	v := map[string][]string{"since": {rq.Since}, "until": {rq.Until}}
	spec := broker.ReplaySpec{Stream: fn.Stream, Subjects: fn.Subjects, Function: fn.Name, DryRun: rq.DryRun}
	var err error
	if spec.Since, err = parseTime(v, "since", now); err != nil {
		return spec, err
	}
	if spec.Until, err = parseTime(v, "until", now); err != nil {
		return spec, err
	}
	if !spec.Until.IsZero() && !spec.Until.After(spec.Since) {
		return spec, &FieldError{"until", "must be after since"}
	}
	matches := []func(*event.Event) bool{}
	if fn.Match != nil {
		matches = append(matches, fn.Match)
	}
	if rq.CESQL != "" {
		m, err := CompileCESQL("cesql", rq.CESQL)
		if err != nil {
			return spec, err
		}
		matches = append(matches, m)
	}
	if len(matches) > 0 {
		spec.Match = func(e *event.Event) bool {
			for _, m := range matches {
				if !m(e) {
					return false
				}
			}
			return true
		}
	}
	return spec, nil
}

func (a *API) replay(w http.ResponseWriter, r *http.Request) {
	spec, err := ParseReplay(r.Body, a.cfg.Functions, a.cfg.Now())
	if a.badInput(w, err) {
		return
	}
	n, err := a.cfg.Replayer.Replay(r.Context(), spec)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Replayed{Count: n, DryRun: spec.DryRun, Function: spec.Function})
}
