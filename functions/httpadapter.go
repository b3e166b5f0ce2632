package functions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"

	"github.com/fnmesh/fnmesh/internal/telemetry"
)

// StatusError is the error for an HTTP function that answered with a status
// other than 2xx. 404, 408, 409, 429 and 5xx are retried (honouring
// Retry-After); other statuses are permanent.
type StatusError struct {
	// URL the event was posted to.
	URL string
	// StatusCode of the answer.
	StatusCode int
	// Body is the start of the answer's body (at most 512 bytes).
	Body string
}

// Error names the URL, the status and the start of the body.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("POST %s: %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Retryable reports whether the status is worth retrying.
func (e *StatusError) Retryable() bool { return retryableStatus(e.StatusCode) }

func retryableStatus(code int) bool {
	switch code {
	case http.StatusNotFound, http.StatusRequestTimeout, http.StatusConflict, http.StatusTooManyRequests:
		return true
	}
	return code >= 500
}

// statusBodyLimit bounds how much of an error answer is quoted in the error.
const statusBodyLimit = 512

// HTTPAdapter delivers events to an HTTP endpoint (see NewHTTPAdapter).
type HTTPAdapter struct {
	url    string
	err    error
	client *http.Client
}

var _ Handler = (*HTTPAdapter)(nil)

// NewHTTPAdapter returns a Handler that POSTs each event to rawURL in
// CloudEvents HTTP binary mode: attributes as percent-encoded ce-* headers,
// datacontenttype as Content-Type, data as the body. The answer decides the
// outcome:
//
//   - 2xx: done. When the answer is itself a CloudEvent (binary mode: a
//     ce-specversion header; structured mode: Content-Type
//     application/cloudevents+json, or application/cloudevents-batch+json
//     for several) it is returned and published; an empty or non-CloudEvent
//     body means no follow-up event. An answer that claims to be a
//     CloudEvent but is not valid is a permanent error (ErrInvalidReply).
//   - 404, 408, 409, 429 and 5xx: retried, after Retry-After (seconds or an
//     HTTP date) when the answer has one.
//   - any other status: permanent.
//   - no answer (connection refused, reset, deadline): retried.
//
// The request is bounded by ctx (the function's timeout). client nil means a
// client without its own timeout. A URL that is not absolute http(s) makes
// every event fail permanently with an error saying so.
//
// Each request carries the trace of ctx (the delivery's process span) in
// W3C traceparent and tracestate headers (OTEL_PROPAGATORS selects others)
// and is an HTTP client span of its own (otelhttp), made by the tracer
// provider of the span in ctx: with tracing off no span is recorded, but
// the caller's trace context still passes on.
func NewHTTPAdapter(rawURL string, client *http.Client) Handler {
	c := http.Client{}
	if client != nil {
		c = *client
	}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = otelhttp.NewTransport(base,
		otelhttp.WithPropagators(telemetry.EnvPropagator()),
		// "POST", as the semantic conventions name a client span without
		// a URL template.
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()))
	a := &HTTPAdapter{url: rawURL, client: &c}
	u, err := url.Parse(rawURL)
	switch {
	case err != nil:
		a.err = fmt.Errorf("http adapter: url %q: %w", rawURL, err)
	case u.Scheme != "http" && u.Scheme != "https":
		a.err = fmt.Errorf("http adapter: url %q: scheme must be http or https", rawURL)
	case u.Host == "":
		a.err = fmt.Errorf("http adapter: url %q: host is empty", rawURL)
	}
	return a
}

// Handle posts e and interprets the answer.
func (a *HTTPAdapter) Handle(ctx context.Context, e event.Event) ([]event.Event, error) {
	if a.err != nil {
		return nil, Permanent(a.err)
	}
	h := make(http.Header)
	body, err := writeBinaryHeaders(h, &e)
	if err != nil {
		return nil, Permanent(fmt.Errorf("POST %s: encode event: %w", a.url, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, bytes.NewReader(body))
	if err != nil {
		return nil, Permanent(fmt.Errorf("POST %s: %w", a.url, err))
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", a.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, statusBodyLimit))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxReplyBytes))
		serr := &StatusError{URL: a.url, StatusCode: resp.StatusCode, Body: strings.TrimSpace(string(snippet))}
		if !serr.Retryable() {
			return nil, Permanent(serr)
		}
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return nil, RetryAfter(serr, d)
		}
		return nil, serr
	}
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("POST %s: read answer: %w", a.url, err)
	}
	if len(reply) > maxReplyBytes {
		return nil, Permanent(fmt.Errorf("POST %s: %w: answer larger than %d bytes", a.url, ErrInvalidReply, maxReplyBytes))
	}
	out, err := parseHTTPReply(resp.Header, reply)
	if err != nil {
		return nil, Permanent(fmt.Errorf("POST %s: %w: %w", a.url, ErrInvalidReply, err))
	}
	return out, nil
}

// parseHTTPReply returns the events in a 2xx answer: none for an empty body
// or a body that is not a CloudEvent.
func parseHTTPReply(h http.Header, body []byte) ([]event.Event, error) {
	if h.Get(headerPrefix+"Specversion") != "" {
		e, err := eventFromBinary(h, body)
		if err != nil {
			return nil, err
		}
		return []event.Event{e}, nil
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		return nil, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, nil
	}
	switch mt {
	case mediaStructured:
		e, err := parseStructuredOne(body)
		if err != nil {
			return nil, err
		}
		return []event.Event{e}, nil
	case mediaBatch:
		if len(bytes.TrimSpace(body)) == 0 || bytes.TrimSpace(body)[0] != '[' {
			return nil, errors.New("event batch: not a JSON array")
		}
		return parseStructured(body)
	}
	return nil, nil
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date
// (a date in the past means no delay).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
