package ui

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app/api"
	"github.com/fnmesh/fnmesh/internal/history"
	"github.com/fnmesh/fnmesh/workers"
)

// Bounds of the pages.
const (
	// recentRuns is how many runs a page lists.
	recentRuns = 50
	// maxDeadLetters is how many dead letters the page lists.
	maxDeadLetters = 500
)

type overviewData struct {
	Functions []api.FunctionView
	Runs      []history.Record
	Totals    api.Figures
	// DeadLetters counts the dead letters (Capped: at least).
	DeadLetters int
	Capped      bool
}

func (u *UI) overview(w http.ResponseWriter, r *http.Request) {
	fns, err := u.cfg.API.Functions(r.Context())
	if err != nil {
		u.failed(w, r, err)
		return
	}
	d := overviewData{Functions: fns}
	for _, f := range fns {
		d.Totals.Attempts += f.Recent.Attempts
		d.Totals.OK += f.Recent.OK
		d.Totals.Retries += f.Recent.Retries
		d.Totals.DeadLetters += f.Recent.DeadLetters
		d.Totals.PerSecond += f.Recent.PerSecond
	}
	if d.Totals.Attempts > 0 {
		d.Totals.ErrorRate = float64(d.Totals.Attempts-d.Totals.OK) / float64(d.Totals.Attempts)
	}
	res, err := u.cfg.API.Runs(r.Context(), history.Query{Limit: 20})
	if err != nil {
		u.failed(w, r, err)
		return
	}
	d.Runs = newestFirst(res.Records)
	stream := "status=1&after=" + strconv.FormatUint(res.LastSeq, 10)
	dls, err := u.cfg.API.DeadLetters(r.Context(), broker.Selection{}, maxDeadLetters)
	if err != nil {
		u.failed(w, r, err)
		return
	}
	d.DeadLetters, d.Capped = len(dls), len(dls) == maxDeadLetters
	u.render(w, http.StatusOK, "overview", page{Title: "Overview", Nav: "overview", Stream: stream, Data: d})
}

type functionData struct {
	api.FunctionView
	Runs     []history.Record
	Failures []history.Record
}

func (u *UI) function(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	fns, err := u.cfg.API.Functions(r.Context())
	if err != nil {
		u.failed(w, r, err)
		return
	}
	i := slices.IndexFunc(fns, func(f api.FunctionView) bool { return f.Name == name })
	if i < 0 {
		u.errorPage(w, r, http.StatusNotFound, "No function named "+strconv.Quote(name)+" in this mesh.")
		return
	}
	d := functionData{FunctionView: fns[i]}
	res, err := u.cfg.API.Runs(r.Context(), history.Query{Function: name, Limit: recentRuns})
	if err != nil {
		u.failed(w, r, err)
		return
	}
	d.Runs = newestFirst(res.Records)
	stream := "function=" + url.QueryEscape(name) + "&after=" + strconv.FormatUint(res.LastSeq, 10)
	for _, o := range []string{workers.OutcomeDeadLetter, workers.OutcomeRetry} {
		res, err := u.cfg.API.Runs(r.Context(), history.Query{Function: name, Outcome: o, Limit: recentRuns})
		if err != nil {
			u.failed(w, r, err)
			return
		}
		d.Failures = append(d.Failures, res.Records...)
	}
	d.Failures = newestFirst(d.Failures)
	if len(d.Failures) > recentRuns {
		d.Failures = d.Failures[:recentRuns]
	}
	u.render(w, http.StatusOK, "function", page{Title: name, Nav: "overview", Stream: stream, Data: d})
}

type storedShown struct {
	api.StoredView
	Shown shownEvent
}

type eventData struct {
	ID      string
	Stored  []storedShown
	Runs    []history.Record
	TraceID string
}

func (u *UI) event(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	v, err := u.cfg.API.Event(r.Context(), id, 0)
	if err != nil {
		u.failed(w, r, err)
		return
	}
	if len(v.Stored) == 0 && len(v.Runs) == 0 {
		u.errorPage(w, r, http.StatusNotFound, "No event with id "+strconv.Quote(id)+" in the run history or the newest messages of the streams.")
		return
	}
	d := eventData{ID: id, Runs: newestFirst(v.Runs)}
	for _, s := range v.Stored {
		d.Stored = append(d.Stored, storedShown{StoredView: s, Shown: showEvent(s.Event)})
	}
	for _, rec := range v.Runs {
		if rec.TraceID != "" {
			d.TraceID = rec.TraceID // the first delivery's trace
			break
		}
	}
	u.render(w, http.StatusOK, "event", page{Title: "Event " + id, Nav: "overview", Stream: "event=" + url.QueryEscape(id) + "&after=" + strconv.FormatUint(v.LastSeq, 10), Data: d})
}

type deadLetterShown struct {
	api.DeadLetterView
	Shown shownEvent
	// Key selects this one dead letter: "function:event id".
	Key string
}

type deadLettersData struct {
	Letters   []deadLetterShown
	Function  string
	Type      string
	CESQL     string
	Functions []api.Function
	Capped    bool
	// Done is the result of the last action ("redriven 2 dead letters").
	Done  string
	Error string
}

func (u *UI) deadLetters(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := deadLettersData{Function: q.Get("function"), Type: q.Get("type"), CESQL: q.Get("cesql"), Functions: u.cfg.API.FunctionList(), Done: q.Get("done")}
	sel := broker.Selection{Function: d.Function, Type: d.Type}
	if d.CESQL != "" {
		m, err := api.CompileCESQL("cesql", d.CESQL)
		if err != nil {
			d.Error = err.Error()
			u.render(w, http.StatusBadRequest, "deadletters", page{Title: "Dead letters", Nav: "deadletters", Data: d})
			return
		}
		sel.Match = m
	}
	dls, err := u.cfg.API.DeadLetters(r.Context(), sel, maxDeadLetters)
	if err != nil {
		u.failed(w, r, err)
		return
	}
	d.Capped = len(dls) == maxDeadLetters
	slices.Reverse(dls) // newest first
	for _, dl := range dls {
		s := deadLetterShown{DeadLetterView: dl}
		if dl.Event != nil {
			s.Shown = showEvent(dl.Event)
			s.Key = dl.Function + ":" + s.Shown.ID
		}
		d.Letters = append(d.Letters, s)
	}
	u.render(w, http.StatusOK, "deadletters", page{Title: "Dead letters", Nav: "deadletters", Stream: "outcome=deadletter", Data: d})
}

// act redrives or purges the dead letters a form selects: "key" values
// ("function:event id"), one or many.
func (u *UI) act(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	do, verb := u.cfg.API.Redrive, "redriven"
	switch action {
	case "redrive":
	case "purge":
		do, verb = u.cfg.API.Purge, "purged"
	default:
		u.errorPage(w, r, http.StatusNotFound, "No such action: "+action)
		return
	}
	if !u.checkPost(w, r) {
		return
	}
	byFn := map[string][]string{}
	for _, k := range r.PostForm["key"] {
		fn, id, ok := strings.Cut(k, ":")
		if !ok || fn == "" || id == "" {
			u.errorPage(w, r, http.StatusBadRequest, "key: "+strconv.Quote(k)+" must be function:event-id")
			return
		}
		byFn[fn] = append(byFn[fn], id)
	}
	back := url.Values{}
	for _, f := range []string{"function", "type", "cesql"} {
		if v := r.PostForm.Get(f); v != "" {
			back.Set(f, v)
		}
	}
	if len(byFn) == 0 {
		back.Set("done", "Select at least one dead letter.")
		http.Redirect(w, r, pathWithQuery(Prefix+"deadletters", back), http.StatusSeeOther)
		return
	}
	fns := make([]string, 0, len(byFn))
	for fn := range byFn {
		fns = append(fns, fn)
	}
	slices.Sort(fns)
	total := 0
	for _, fn := range fns {
		n, err := do(r.Context(), broker.Selection{Function: fn, IDs: byFn[fn]}, false)
		total += n
		if err != nil {
			u.failed(w, r, err)
			return
		}
	}
	u.cfg.Log.Info("ui: dead letters "+verb, "count", total, "functions", fns)
	noun := "dead letters"
	if total == 1 {
		noun = "dead letter"
	}
	back.Set("done", strings.ToUpper(verb[:1])+verb[1:]+" "+strconv.Itoa(total)+" "+noun+".")
	http.Redirect(w, r, pathWithQuery(Prefix+"deadletters", back), http.StatusSeeOther)
}

func (u *UI) triggers(w http.ResponseWriter, r *http.Request) {
	u.render(w, http.StatusOK, "triggers", page{Title: "Triggers", Nav: "triggers", Data: u.cfg.API.Triggers()})
}

// stream is the API's run stream for the pages, behind the dashboard's
// session; event=ID keeps the runs of one event.
func (u *UI) stream(w http.ResponseWriter, r *http.Request) {
	sq, err := api.ParseStreamQuery(r.URL.Query(), r.Header.Get("Last-Event-ID"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := u.cfg.API.Stream(r.Context(), w, sq); err != nil {
		u.failed(w, r, err)
	}
}

func newestFirst(rs []history.Record) []history.Record {
	out := slices.Clone(rs)
	slices.SortStableFunc(out, func(a, b history.Record) int { return cmp.Compare(b.Time.UnixNano(), a.Time.UnixNano()) })
	return out
}
