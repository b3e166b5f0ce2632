package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/history"
)

// DefaultScanLimit is how many stored messages per stream an event lookup
// reads when the history does not know the event (the scan parameter
// changes it, up to MaxScanLimit).
const (
	DefaultScanLimit = 10000
	MaxScanLimit     = 1000000
)

// EventView is GET /api/v1/events/{id}: every stored copy of the event
// (a redrive or replay stores it again) and every run of it.
type EventView struct {
	// ID is the event id asked for.
	ID string `json:"id"`
	// Stored are the copies found, oldest first.
	Stored []StoredView `json:"stored"`
	// Runs are the attempts recorded, oldest first.
	Runs []history.Record `json:"runs"`
	// LastSeq is the last history sequence read: a run stream started
	// after it misses none of the event's later runs.
	LastSeq uint64 `json:"lastSeq"`
}

// StoredView is one stored copy of an event.
type StoredView struct {
	// Stream, Seq, Subject and Time say where and when it was stored.
	Stream  string    `json:"stream"`
	Seq     uint64    `json:"seq"`
	Subject string    `json:"subject"`
	Time    time.Time `json:"time"`
	// Event is the CloudEvent in its JSON format (attributes, extensions,
	// data).
	Event json.RawMessage `json:"event"`
}

func (a *API) event(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	scan, err := parseInt(r.URL.Query(), "scan", 1, MaxScanLimit)
	if a.badInput(w, err) {
		return
	}
	if scan == 0 {
		scan = DefaultScanLimit
	}
	v, err := a.Event(r.Context(), id, scan)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if len(v.Stored) == 0 && len(v.Runs) == 0 {
		writeError(w, http.StatusNotFound, "id", "no event with id "+strconv.Quote(id)+" in the history or the last "+strconv.Itoa(scan)+" messages of each stream")
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// Event returns the stored copies and the runs of the event id; when the
// history does not know it, the first scan messages of each stream are
// searched. An event found nowhere has no copies and no runs.
func (a *API) Event(ctx context.Context, id string, scan int) (EventView, error) {
	if scan <= 0 {
		scan = DefaultScanLimit
	}
	res, err := a.cfg.Runs.Runs(ctx, history.Query{EventID: id, Limit: history.MaxLimit})
	if err != nil {
		return EventView{}, err
	}
	v := EventView{ID: id, Stored: []StoredView{}, Runs: res.Records, LastSeq: res.LastSeq}
	seen := map[string]bool{}
	for _, rec := range res.Records {
		key := rec.Stream + "/" + strconv.FormatUint(rec.Seq, 10)
		if rec.Stream == "" || seen[key] {
			continue
		}
		seen[key] = true
		se, err := a.cfg.Events.GetEvent(ctx, rec.Stream, rec.Seq)
		if errors.Is(err, broker.ErrNoMessage) {
			continue // removed by the stream's limits since
		}
		if err != nil {
			return v, err
		}
		if se.Event != nil && se.Event.ID() == id {
			v.Stored = append(v.Stored, storedView(rec.Stream, se))
		}
	}
	if len(v.Stored) == 0 {
		// Not in the history (not delivered yet, or recorded before its
		// retention): look at the newest messages of each stream.
		for _, stream := range a.cfg.Streams {
			if err := a.scan(ctx, stream, id, scan, &v); err != nil {
				return v, err
			}
		}
	}
	return v, nil
}

// scan reads stream from its start and keeps the copies of id, stopping
// after limit messages.
func (a *API) scan(ctx context.Context, stream, id string, limit int, v *EventView) error {
	n := 0
	return a.cfg.Events.ReadStream(ctx, stream, "", func(se broker.StoredEvent) bool {
		n++
		if se.Event != nil && se.Event.ID() == id {
			v.Stored = append(v.Stored, storedView(stream, se))
		}
		return n < limit
	})
}

func storedView(stream string, se broker.StoredEvent) StoredView {
	return StoredView{Stream: stream, Seq: se.Sequence, Subject: se.Subject, Time: se.Time, Event: eventJSON(se.Event)}
}

func eventJSON(e *event.Event) json.RawMessage {
	b, err := json.Marshal(e)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}
