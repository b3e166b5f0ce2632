package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/internal/history"
)

// Defaults of the run stream (GET /api/v1/stream).
const (
	// StreamInterval is how often the stream reads new history.
	StreamInterval = 500 * time.Millisecond
	// StatusInterval is how often a stream with status=1 sends the
	// functions' figures.
	StatusInterval = 3 * time.Second
	// keepAlive is how often an idle stream sends a comment, so that
	// proxies and the write deadline do not cut it.
	keepAlive = 15 * time.Second
)

// StreamQuery selects what GET /api/v1/stream sends.
type StreamQuery struct {
	// Runs selects records as GET /api/v1/runs does (function, outcome).
	Runs history.Query
	// Type keeps the runs of events of this type.
	Type string
	// Event keeps the runs of the event with this id.
	Event string
	// Match, when set, keeps the runs whose event it selects (CESQL
	// evaluated on the stored event).
	Match func(*event.Event) bool
	// After starts after this history sequence, when FromEnd is false.
	After uint64
	// FromEnd starts at the end of the history: only runs stored from now.
	FromEnd bool
	// Status adds a "functions" event every StatusInterval.
	Status bool
}

// ParseStreamQuery reads the query parameters of GET /api/v1/stream:
// those of the runs endpoint that make sense for a stream (function,
// outcome, after: without it the stream starts at the end), type, event (an event id), cesql and status (1 or true).
func ParseStreamQuery(v url.Values, lastEventID string) (StreamQuery, error) {
	var sq StreamQuery
	q, err := ParseRunsQuery(url.Values{"function": v["function"], "outcome": v["outcome"], "after": v["after"]}, time.Now())
	if err != nil {
		return sq, err
	}
	sq.Runs, sq.After, sq.Type, sq.Event = q, q.AfterSeq, v.Get("type"), v.Get("event")
	sq.FromEnd = !v.Has("after") && lastEventID == ""
	if lastEventID != "" {
		// A reconnecting EventSource resumes after the last run it got.
		n, err := strconv.ParseUint(lastEventID, 10, 64)
		if err != nil {
			return sq, &FieldError{"Last-Event-ID", "must be a history sequence (a non-negative integer)"}
		}
		sq.After = n
	}
	if s := v.Get("cesql"); s != "" {
		if sq.Match, err = CompileCESQL("cesql", s); err != nil {
			return sq, err
		}
	}
	switch v.Get("status") {
	case "", "0", "false":
	case "1", "true":
		sq.Status = true
	default:
		return sq, &FieldError{"status", "must be 1, true, 0 or false"}
	}
	return sq, nil
}

func (a *API) stream(w http.ResponseWriter, r *http.Request) {
	sq, err := ParseStreamQuery(r.URL.Query(), r.Header.Get("Last-Event-ID"))
	if a.badInput(w, err) {
		return
	}
	if err := a.Stream(r.Context(), w, sq); err != nil {
		a.fail(w, r, err)
	}
}

// Stream writes server-sent events to w until ctx ends: "run" with each
// history record sq selects (its id is the history sequence, for
// Last-Event-ID; it is on the last record of each history message, which
// holds a batch), and with sq.Status "functions" with the functions'
// figures. An error before the first byte is returned for the caller to
// answer; later ones end the stream.
func (a *API) Stream(ctx context.Context, w http.ResponseWriter, sq StreamQuery) error {
	after := sq.After
	if sq.FromEnd {
		res, err := a.cfg.Runs.Runs(ctx, history.Query{Function: sq.Runs.Function, Limit: 1})
		if err != nil {
			return err
		}
		after = res.LastSeq
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(name, id string, v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		_ = rc.SetWriteDeadline(time.Now().Add(keepAlive * 2))
		if id != "" {
			fmt.Fprintf(w, "id: %s\n", id)
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	_ = rc.SetWriteDeadline(time.Now().Add(keepAlive * 2))
	// The opening block carries the start as its id: a client that
	// reconnects before any run resumes there, not at the new end.
	if _, err := fmt.Fprintf(w, ": fnmesh run stream\nid: %d\nretry: 2000\n\n", after); err != nil || rc.Flush() != nil {
		return nil
	}
	interval := a.cfg.StreamInterval
	if interval <= 0 {
		interval = StreamInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var lastStatus, lastWrite time.Time
	cache := map[string]*event.Event{}
	for {
		if sq.Status && time.Since(lastStatus) >= StatusInterval {
			lastStatus = time.Now()
			fns, err := a.Functions(ctx)
			if err == nil && !send("functions", "", fns) {
				return nil
			}
			lastWrite = time.Now()
		}
		q := sq.Runs
		q.AfterSeq, q.Limit = after, history.MaxLimit
		res, err := a.cfg.Runs.Runs(ctx, q)
		if err != nil && ctx.Err() != nil {
			return nil
		}
		if err == nil {
			after = max(after, res.LastSeq)
			for i, rec := range res.Records {
				if !a.streamMatch(ctx, sq, rec, cache) {
					continue
				}
				// One history message holds a batch of records: the id
				// (where a reconnect resumes) goes on the batch's last.
				id := ""
				if i == len(res.Records)-1 || res.Records[i+1].HistorySeq != rec.HistorySeq {
					id = strconv.FormatUint(rec.HistorySeq, 10)
				}
				if !send("run", id, rec) {
					return nil
				}
				lastWrite = time.Now()
			}
		} else {
			a.cfg.Log.Warn("api: run stream", "error", err)
		}
		if time.Since(lastWrite) >= keepAlive {
			_ = rc.SetWriteDeadline(time.Now().Add(keepAlive * 2))
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
			lastWrite = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// streamMatch applies the type and CESQL filters of sq to rec; CESQL sees
// the stored event (cached by stream and sequence), or, when it is gone,
// the attributes the record holds.
func (a *API) streamMatch(ctx context.Context, sq StreamQuery, rec history.Record, cache map[string]*event.Event) bool {
	if sq.Type != "" && rec.Type != sq.Type || sq.Event != "" && rec.EventID != sq.Event {
		return false
	}
	if sq.Match == nil {
		return true
	}
	key := rec.Stream + "/" + strconv.FormatUint(rec.Seq, 10)
	e, ok := cache[key]
	if !ok {
		if rec.Stream != "" {
			if se, err := a.cfg.Events.GetEvent(ctx, rec.Stream, rec.Seq); err == nil && se.Event != nil && se.Event.ID() == rec.EventID {
				e = se.Event
			}
		}
		if e == nil {
			ev := event.New()
			ev.SetID(rec.EventID)
			ev.SetType(rec.Type)
			ev.SetSource(rec.Source)
			e = &ev
		}
		if len(cache) > 4096 {
			clear(cache)
		}
		cache[key] = e
	}
	return sq.Match(e)
}
