package ui

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/fnmesh/fnmesh/broker"
)

// maxScheduled is how many scheduled events the page lists.
const maxScheduled = 500

type scheduledData struct {
	// Available is false when the mesh serves no scheduled events.
	Available bool
	Events    []broker.Scheduled
	Streams   []broker.StreamScheduled
	Total     int
	Capped    bool
	// Done is the result of the last cancel ("Cancelled 1 scheduled event.").
	Done string
}

// scheduled lists the events waiting for their deliverat time, soonest
// first, with the count each stream keeps.
func (u *UI) scheduled(w http.ResponseWriter, r *http.Request) {
	d := scheduledData{Available: u.cfg.API.HasSchedules(), Done: r.URL.Query().Get("done")}
	if d.Available {
		evs, counts, err := u.cfg.API.ListScheduled(r.Context(), maxScheduled)
		if err != nil {
			u.failed(w, r, err)
			return
		}
		slices.SortStableFunc(evs, func(a, b broker.Scheduled) int {
			return cmp.Or(a.DeliverAt.Compare(b.DeliverAt), cmp.Compare(a.Seq, b.Seq))
		})
		d.Events, d.Streams, d.Capped = evs, counts, len(evs) == maxScheduled
		for _, c := range counts {
			d.Total += c.Scheduled
		}
	}
	u.render(w, http.StatusOK, "scheduled", page{Title: "Scheduled", Nav: "scheduled", Data: d})
}

// cancelScheduled cancels the scheduled event a form names (id, and
// source when set) and goes back to the list.
func (u *UI) cancelScheduled(w http.ResponseWriter, r *http.Request) {
	if !u.checkPost(w, r) {
		return
	}
	id, source := strings.TrimSpace(r.PostForm.Get("id")), r.PostForm.Get("source")
	if id == "" {
		u.errorPage(w, r, http.StatusBadRequest, "id: give the id of the scheduled event to cancel.")
		return
	}
	n, err := u.cfg.API.CancelScheduled(r.Context(), id, source)
	var done string
	switch {
	case errors.Is(err, broker.ErrNotScheduled):
		done = "No scheduled event with id " + strconv.Quote(id) + ": delivered already or cancelled."
	case err != nil:
		u.failed(w, r, err)
		return
	case n == 1:
		done = "Cancelled 1 scheduled event."
		u.cfg.Log.Info("ui: scheduled event cancelled", "id", id, "source", source)
	default:
		done = "Cancelled " + strconv.Itoa(n) + " scheduled events."
		u.cfg.Log.Info("ui: scheduled events cancelled", "id", id, "source", source, "count", n)
	}
	http.Redirect(w, r, pathWithQuery(Prefix+"scheduled", url.Values{"done": {done}}), http.StatusSeeOther)
}
