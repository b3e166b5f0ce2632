package triggers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
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
// binary mode: "ce-" headers (values percent-encoded as the binding
// requires), Content-Type = datacontenttype and the data as the body.
func writeBinaryEvent(w http.ResponseWriter, status int, e *event.Event) {
	h := w.Header()
	set := func(name, value string) { h.Set("ce-"+name, httpHeaderEscape(value)) }
	set("specversion", e.SpecVersion())
	set("id", e.ID())
	set("source", e.Source())
	set("type", e.Type())
	if s := e.Subject(); s != "" {
		set("subject", s)
	}
	if t := e.Time(); !t.IsZero() {
		h.Set("ce-time", t.UTC().Format(time.RFC3339Nano))
	}
	if s := e.DataSchema(); s != "" {
		set("dataschema", s)
	}
	for name, v := range e.Extensions() {
		s, err := types.Format(v)
		if err != nil {
			continue
		}
		set(name, s)
	}
	data := e.Data()
	if ct := e.DataContentType(); ct != "" && len(data) > 0 {
		h.Set("Content-Type", ct)
	}
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// httpHeaderEscape percent-encodes a CloudEvents attribute value for an HTTP
// header: space, '"', '%' and every byte outside printable ASCII become
// "%XX" (CloudEvents HTTP binding, section 3.1.3.2).
func httpHeaderEscape(v string) string {
	const upper = "0123456789ABCDEF"
	var out []byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c > ' ' && c < 0x7f && c != '"' && c != '%' {
			if out != nil {
				out = append(out, c)
			}
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(v)+8)
			out = append(out, v[:i]...)
		}
		out = append(out, '%', upper[c>>4], upper[c&0x0f])
	}
	if out == nil {
		return v
	}
	return string(out)
}
