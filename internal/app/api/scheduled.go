package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/fnmesh/fnmesh/broker"
)

// Scheduled lists and cancels events waiting for their "deliverat"
// (broker.Client).
type Scheduled interface {
	ListScheduled(ctx context.Context, limit int) ([]broker.Scheduled, []broker.StreamScheduled, error)
	CancelScheduled(ctx context.Context, id, source string) (int, error)
}

// ErrNoSchedules means the API was built without Config.Scheduled.
var ErrNoSchedules = errors.New("api: scheduled events are not served")

// HasSchedules reports whether the API lists and cancels scheduled events.
func (a *API) HasSchedules() bool { return a.cfg.Scheduled != nil }

// ListScheduled returns up to limit events waiting for their time, and
// how many each stream keeps for later.
func (a *API) ListScheduled(ctx context.Context, limit int) ([]broker.Scheduled, []broker.StreamScheduled, error) {
	if a.cfg.Scheduled == nil {
		return nil, nil, ErrNoSchedules
	}
	return a.cfg.Scheduled.ListScheduled(ctx, limit)
}

// CancelScheduled cancels the events with this id (of one source when
// source is set) before their time; broker.ErrNotScheduled when none waits.
func (a *API) CancelScheduled(ctx context.Context, id, source string) (int, error) {
	if a.cfg.Scheduled == nil {
		return 0, ErrNoSchedules
	}
	return a.cfg.Scheduled.CancelScheduled(ctx, id, source)
}

// scheduledList is the body of GET /api/v1/scheduled.
type scheduledList struct {
	Scheduled []broker.Scheduled `json:"scheduled"`
	// Streams counts the events each stream keeps for later (all of
	// them, not only the listed ones).
	Streams []broker.StreamScheduled `json:"streams"`
}

// cancelled is the body of DELETE /api/v1/scheduled/{id}.
type cancelled struct {
	ID        string `json:"id"`
	Cancelled int    `json:"cancelled"`
}

// routeScheduled mounts:
//
//	GET    /api/v1/scheduled?limit=N             events waiting for their time,
//	                                             and the count per stream
//	DELETE /api/v1/scheduled/{id}[?source=SRC]   cancel them before their time
//
// DELETE answers 200 with the number cancelled, or 404 when no event with
// this id waits (never scheduled, delivered already, or cancelled).
func (a *API) routeScheduled() {
	a.mux.HandleFunc("GET /api/v1/scheduled", a.listScheduled)
	a.mux.HandleFunc("DELETE /api/v1/scheduled/{id}", a.cancelScheduled)
}

func (a *API) listScheduled(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			writeError(w, http.StatusBadRequest, "limit", "limit must be an integer from 1 to 10000")
			return
		}
		limit = n
	}
	list, counts, err := a.cfg.Scheduled.ListScheduled(r.Context(), limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, scheduledList{Scheduled: list, Streams: counts})
}

func (a *API) cancelScheduled(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	n, err := a.cfg.Scheduled.CancelScheduled(r.Context(), id, r.URL.Query().Get("source"))
	switch {
	case errors.Is(err, broker.ErrNotScheduled):
		writeError(w, http.StatusNotFound, "id", "no scheduled event with id "+strconv.Quote(id)+" (never scheduled, delivered already, or cancelled)")
		return
	case err != nil:
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cancelled{ID: id, Cancelled: n})
}
