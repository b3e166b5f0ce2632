package triggers

import (
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"
)

// stored is the answer for one stored event.
type storedAnswer struct {
	ID        string `json:"id"`
	Stream    string `json:"stream"`
	Seq       uint64 `json:"seq"`
	Duplicate bool   `json:"duplicate"`
}

// batchItem is the outcome for one event of a batch.
type batchItem struct {
	Index     int    `json:"index"`
	ID        string `json:"id"`
	Stored    bool   `json:"stored"`
	Stream    string `json:"stream,omitempty"`
	Seq       uint64 `json:"seq,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Error     string `json:"error,omitempty"`
}

// batchAnswer is the body answering a batch. Error is set when not every
// event was stored.
type batchAnswer struct {
	Error string `json:"error,omitempty"`
	// Index is the event at fault when the batch failed because of one.
	Index    *int        `json:"index,omitempty"`
	Accepted int         `json:"accepted"`
	Results  []batchItem `json:"results"`
}

// notTried is the error of the events after the one that failed.
const notTried = "not stored: an earlier event of the batch failed"

// publish stores the events in order and writes the answer.
func (in *Ingest) publish(w http.ResponseWriter, r *http.Request, events []*event.Event, mode requestMode) {
	ctx := r.Context()
	if mode != modeBatch {
		e := events[0]
		ack, err := in.pub.Publish(ctx, e)
		if err != nil {
			status, answer := in.publishStatus(r, e, err)
			writeError(w, status, answer)
			return
		}
		writeJSON(w, http.StatusAccepted, storedAnswer{ID: e.ID(), Stream: ack.Stream, Seq: ack.Sequence, Duplicate: ack.Duplicate})
		return
	}
	if bp, ok := in.pub.(BatchPublisher); ok && in.publishBatch(w, r, bp, events) {
		return
	}
	ans := batchAnswer{Results: make([]batchItem, len(events))}
	status := http.StatusAccepted
	for i, e := range events {
		item := &ans.Results[i]
		item.Index, item.ID = i, e.ID()
		if status != http.StatusAccepted {
			item.Error = notTried
			continue
		}
		ack, err := in.pub.Publish(ctx, e)
		if err != nil {
			var answer error
			status, answer = in.publishStatus(r, e, err)
			msg := answer.Error()
			if status == http.StatusInternalServerError {
				msg = "internal server error"
			}
			item.Error, ans.Error = msg, msg
			continue
		}
		item.Stored, item.Stream, item.Seq, item.Duplicate = true, ack.Stream, ack.Sequence, ack.Duplicate
		ans.Accepted++
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, ans)
}
