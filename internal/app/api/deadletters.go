package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/fnmesh/fnmesh/broker"
)

// DeadLetterView is one dead letter as the API answers it.
type DeadLetterView struct {
	// Seq is its sequence in the dead-letter stream.
	Seq uint64 `json:"seq"`
	// Function that gave up, after Attempts, for Reason, at Time.
	Function string    `json:"function"`
	Attempts int       `json:"attempts"`
	Reason   string    `json:"reason"`
	Time     time.Time `json:"time"`
	// Subject it was consumed from.
	Subject string `json:"subject,omitempty"`
	// Event is the CloudEvent with its data (JSON format); absent when the
	// message was not a valid CloudEvent (then Error says why).
	Event json.RawMessage `json:"event,omitempty"`
	Error string          `json:"error,omitempty"`
}

// MaxDeadLetters is the most dead letters one list answers.
const MaxDeadLetters = 10000

func (a *API) deadLetters(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	sel, err := selectionOf(selector{Function: v.Get("function"), Type: v.Get("type"), CESQL: v.Get("cesql"), Since: v.Get("since"), IDs: v["id"]}, a.cfg.Now())
	if a.badInput(w, err) {
		return
	}
	limit, err := parseInt(v, "limit", 1, MaxDeadLetters)
	if a.badInput(w, err) {
		return
	}
	if limit == 0 {
		limit = 100
	}
	out, err := a.DeadLetters(r.Context(), sel, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deadLetters": out})
}

// DeadLetters returns at most limit dead letters sel selects, oldest
// first.
func (a *API) DeadLetters(ctx context.Context, sel broker.Selection, limit int) ([]DeadLetterView, error) {
	out := []DeadLetterView{}
	err := a.cfg.DeadLetters.List(ctx, sel.Function, sel.Since, func(d broker.DeadLetter) bool {
		if !sel.Selects(d) {
			return true
		}
		dv := DeadLetterView{Seq: d.Seq, Function: d.Function, Attempts: d.Attempts, Reason: d.Reason, Time: d.Time, Subject: d.Subject}
		if d.Event != nil {
			dv.Event = eventJSON(d.Event)
		} else if d.Err != nil {
			dv.Error = d.Err.Error()
		}
		out = append(out, dv)
		return len(out) < limit
	})
	return out, err
}

// Redrive stores the dead letters sel selects again in their streams
// (dryRun only counts them) and returns how many.
func (a *API) Redrive(ctx context.Context, sel broker.Selection, dryRun bool) (int, error) {
	return a.cfg.DeadLetters.RedriveSelected(ctx, sel, dryRun)
}

// Purge deletes the dead letters sel selects (dryRun only counts them) and
// returns how many.
func (a *API) Purge(ctx context.Context, sel broker.Selection, dryRun bool) (int, error) {
	return a.cfg.DeadLetters.Purge(ctx, sel, dryRun)
}

// selector is the body of POST /api/v1/deadletters/{redrive,purge}: the
// fields that are set must all match; an empty selector selects every
// dead letter only with "all": true.
type selector struct {
	IDs      []string `json:"ids,omitempty"`
	Type     string   `json:"type,omitempty"`
	Function string   `json:"function,omitempty"`
	CESQL    string   `json:"cesql,omitempty"`
	Since    string   `json:"since,omitempty"`
	All      bool     `json:"all,omitempty"`
	DryRun   bool     `json:"dryRun,omitempty"`
}

func (s selector) empty() bool {
	return len(s.IDs) == 0 && s.Type == "" && s.Function == "" && s.CESQL == "" && s.Since == ""
}

// Actioned is the answer of a redrive or purge.
type Actioned struct {
	// Count is how many dead letters were (or, with DryRun, would be)
	// redriven or purged.
	Count  int  `json:"count"`
	DryRun bool `json:"dryRun"`
}

func (a *API) redrive(w http.ResponseWriter, r *http.Request) {
	a.act(w, r, a.cfg.DeadLetters.RedriveSelected)
}
func (a *API) purge(w http.ResponseWriter, r *http.Request) { a.act(w, r, a.cfg.DeadLetters.Purge) }

func (a *API) act(w http.ResponseWriter, r *http.Request, do func(context.Context, broker.Selection, bool) (int, error)) {
	s, err := readSelector(r)
	if a.badInput(w, err) {
		return
	}
	sel, err := selectionOf(s, a.cfg.Now())
	if a.badInput(w, err) {
		return
	}
	n, err := do(r.Context(), sel, s.DryRun)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Actioned{Count: n, DryRun: s.DryRun})
}

// maxBody bounds a request body of the API.
const maxBody = 1 << 20

func readSelector(r *http.Request) (selector, error) {
	var s selector
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return s, &FieldError{"body", "must be a JSON object {ids, type, function, cesql, since, all, dryRun}: " + err.Error()}
	}
	if s.empty() && !s.All {
		return s, &FieldError{"body", "select dead letters by ids, type, function, cesql or since, or send \"all\": true"}
	}
	return s, nil
}

func selectionOf(s selector, now time.Time) (broker.Selection, error) {
	sel := broker.Selection{Function: s.Function, Type: s.Type, IDs: s.IDs}
	if s.Function != "" && !isName(s.Function) {
		return sel, &FieldError{"function", "must be a function name (letters, digits, '-' or '_')"}
	}
	if s.Since != "" {
		t, err := parseTime(map[string][]string{"since": {s.Since}}, "since", now)
		if err != nil {
			return sel, err
		}
		sel.Since = t
	}
	if s.CESQL != "" {
		m, err := CompileCESQL("cesql", s.CESQL)
		if err != nil {
			return sel, err
		}
		sel.Match = m
	}
	return sel, nil
}
