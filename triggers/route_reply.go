package triggers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/internal/cebind"
)

// serveReply publishes e and answers with the event a function returns for
// it (causationid = e's id), 502 at once when a function dead-letters it,
// or 504 after the route's timeout. The waiter is registered before the
// publish, so an answer cannot overtake it.
func (rt *Route) serveReply(w http.ResponseWriter, r *http.Request, e *event.Event) {
	ctx := r.Context()
	waiter, err := rt.replies.Wait(ctx, e.ID(), e.Source())
	if err != nil {
		rt.log.Warn("reply waiter unavailable", "id", e.ID(), "error", err)
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	defer waiter.Stop()
	if _, err := rt.pub.Publish(ctx, e); err != nil {
		rt.publishFailed(w, r, e, err)
		return
	}
	timer := time.NewTimer(rt.timeout)
	defer timer.Stop()
	select {
	case answer := <-waiter.C():
		writeBinaryEvent(w, http.StatusOK, answer)
	case f := <-waiter.Failed():
		writeReplyFailed(w, e.ID(), f)
	case <-timer.C:
		writeJSON(w, http.StatusGatewayTimeout, replyTimeoutBody{
			Error:  replyTimeoutMessage(rt.timeout),
			ID:     e.ID(),
			Stored: true,
		})
	case <-ctx.Done():
		// The client went away; the event is stored and will be processed.
	}
}

// writeBinaryEvent answers status with e in the CloudEvents HTTP binding's
// binary mode (cebind.WriteBinary). An event that cannot be written (an
// extension value that is not a CloudEvents type) is answered 502.
func writeBinaryEvent(w http.ResponseWriter, status int, e *event.Event) {
	h := w.Header()
	data, err := cebind.WriteBinary(h, e)
	if err != nil {
		for k := range h {
			delete(h, k)
		}
		writeError(w, http.StatusBadGateway, err)
		return
	}
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}
