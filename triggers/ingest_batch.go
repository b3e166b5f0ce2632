package triggers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
)

// BatchPublisher stores a batch of events as one JetStream batch:
// atomically (all or none, at most broker.MaxAtomicBatch events) or with
// fast batch publish (see broker.BatchMode). *broker.Client implements it.
// An Ingest whose publisher does not implement it stores a batch event by
// event.
type BatchPublisher interface {
	PublishBatch(ctx context.Context, events []*event.Event, mode broker.BatchMode) (broker.BatchResult, error)
}

// AtomicParam is the query parameter of POST /events choosing how a
// batch is stored: absent or "true" stores it atomically (every event or
// none), "false" with fast batch publish (faster for large batches; on a
// failure the answer says which events were stored).
const AtomicParam = "atomic"

// errNoBatch means the publisher behind an observedPublisher stores no
// batches: the ingest stores the events one by one.
var errNoBatch = errors.New("publisher stores no batches")

// PublishBatch implements BatchPublisher, counting every event.
func (c observedPublisher) PublishBatch(ctx context.Context, events []*event.Event, mode broker.BatchMode) (broker.BatchResult, error) {
	bp, ok := c.pub.(BatchPublisher)
	if !ok {
		return broker.BatchResult{}, errNoBatch
	}
	res, err := bp.PublishBatch(ctx, events, mode)
	if p, ok := ctx.Value(publishedKey{}).(*atomic.Bool); ok {
		p.Store(true)
	}
	if res.Stored > 0 {
		c.obs.CountReceived(ctx, c.trigger, ReceivedAccepted, res.Stored)
	}
	if n := len(events) - res.Stored; n > 0 {
		c.obs.CountReceived(ctx, c.trigger, publishOutcome(broker.Ack{}, err), n)
	}
	return res, err
}

// batchMode reads AtomicParam.
func batchMode(r *http.Request) (broker.BatchMode, error) {
	v := r.URL.Query().Get(AtomicParam)
	if v == "" {
		return broker.BatchAtomic, nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return 0, &AttrError{Rule: fmt.Sprintf("query parameter %q must be true or false, got %q", AtomicParam, v)}
	}
	if on {
		return broker.BatchAtomic, nil
	}
	return broker.BatchFast, nil
}

// notStored is the error of every event of a refused atomic batch.
const notStored = "not stored: the batch is atomic and was refused"

// publishBatch stores a batch through bp and writes the answer. It
// reports false when bp stores no batches (nothing was written).
func (in *Ingest) publishBatch(w http.ResponseWriter, r *http.Request, bp BatchPublisher, events []*event.Event) bool {
	mode, err := batchMode(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return true
	}
	if mode == broker.BatchAtomic && len(events) > broker.MaxAtomicBatch {
		writeError(w, http.StatusBadRequest, &AttrError{Rule: fmt.Sprintf(
			"an atomic batch holds at most %d events, got %d (post ?%s=false to store it with fast batch publish, not atomically)",
			broker.MaxAtomicBatch, len(events), AtomicParam)})
		return true
	}
	res, err := bp.PublishBatch(r.Context(), events, mode)
	if errors.Is(err, errNoBatch) {
		return false
	}
	ans := batchAnswer{Accepted: res.Stored, Results: make([]batchItem, len(events))}
	for i, e := range events {
		item := &ans.Results[i]
		item.Index, item.ID = i, e.ID()
		if err == nil || i < res.Stored {
			item.Stored, item.Stream = true, res.Stream
			if i < len(res.Acks) {
				item.Seq = res.Acks[i].Sequence
			}
		}
	}
	if err == nil {
		writeJSON(w, http.StatusAccepted, ans)
		return true
	}
	status, msg, index := in.batchStatus(r, events, err)
	ans.Error = msg
	for i := range ans.Results {
		item := &ans.Results[i]
		switch {
		case item.Stored:
		case i == index:
			item.Error = msg
		case mode == broker.BatchAtomic:
			item.Error = notStored
		default:
			item.Error = "not known to be stored: the batch failed (storing again is idempotent)"
		}
	}
	if index >= 0 {
		ans.Index = &index
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, ans)
	return true
}

// batchStatus maps a PublishBatch error to the answer: status, message
// and the index of the event at fault (-1 for the batch as a whole).
func (in *Ingest) batchStatus(r *http.Request, events []*event.Event, err error) (int, string, int) {
	index := -1
	var be *broker.BatchEventError
	if errors.As(err, &be) {
		index = be.Index
	}
	switch {
	case errors.Is(err, broker.ErrBatchDuplicate):
		return http.StatusConflict, "nothing stored: " + broker.ErrBatchDuplicate.Error() + "; an atomic batch is refused whole, post the events not yet stored", index
	case errors.Is(err, broker.ErrBatchStreams), errors.Is(err, broker.ErrBatchTooLarge):
		return http.StatusBadRequest, "nothing stored: " + err.Error(), index
	}
	e := events[0]
	if index >= 0 {
		e = events[index]
	}
	status, answer := in.publishStatus(r, e, err)
	msg := answer.Error()
	if status == http.StatusInternalServerError {
		msg = "internal server error"
	}
	var ae *AttrError
	if errors.As(answer, &ae) && ae.Attribute != "" {
		msg = fmt.Sprintf("attribute %q: %s", ae.Attribute, ae.Rule)
	}
	return status, msg, index
}
