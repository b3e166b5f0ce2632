package triggers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/triggers/endpoint"
)

// IdempotencyKeyHeader names the request header whose value becomes the id
// of the event an HTTP route emits. A client that retries a request with
// the same key gets the event stored once (within the stream's duplicate
// window).
const IdempotencyKeyHeader = "Idempotency-Key"

// maxIdempotencyKeyLen is the longest accepted Idempotency-Key.
const maxIdempotencyKeyLen = 255

// defaultContentType is the datacontenttype of a route's event when the
// request has a body but no Content-Type.
const defaultContentType = "application/octet-stream"

// DefaultReplyTimeout is how long a reply route waits for the answer when
// RouteConfig.ReplyTimeout is zero.
const DefaultReplyTimeout = 30 * time.Second

// replyWriteMargin is the time a reply route leaves itself, past its reply
// timeout, to publish the request's event and write the answer.
const replyWriteMargin = 10 * time.Second

// RouteConfig configures one HTTP route. Errors name its fields as the mesh
// file does (http.method, emit.type, ...).
type RouteConfig struct {
	// Name identifies the trigger; required.
	Name string
	// Path is where a Mux mounts the route (see endpoint.CheckPath); the
	// route itself serves any path it is mounted at.
	Path string
	// Method is the one method accepted (one of endpoint.Methods). Default
	// POST.
	Method string
	// Emit sets the events' attributes; Emit.Type is required.
	Emit Emit
	// Headers maps request header names to extension attribute names.
	Headers map[string]string
	// Query maps query parameter names to extension attribute names.
	Query map[string]string
	// Token, when set, is the bearer token every request must carry.
	Token []byte
	// Reply makes each request wait for the event a function returns in
	// answer (matched by causationid) and answer with it.
	Reply bool
	// ReplyTimeout is how long a reply route waits before it answers 504.
	// Default DefaultReplyTimeout; it must not be negative.
	ReplyTimeout time.Duration
	// MaxBodyBytes is the largest accepted request body; larger bodies get
	// 413. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// withDefaults returns c with every unset field at its default.
func (c RouteConfig) withDefaults() RouteConfig {
	if c.Method == "" {
		c.Method = http.MethodPost
	}
	if c.Reply && c.ReplyTimeout == 0 {
		c.ReplyTimeout = DefaultReplyTimeout
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return c
}

// Validate reports the first setting of c (with defaults applied) that a
// route cannot run with, as a *ConfigError.
func (c RouteConfig) Validate() error {
	_, err := c.build()
	return err
}

// build checks c with its defaults and returns the route it describes,
// without collaborators.
func (c RouteConfig) build() (*Route, error) {
	c = c.withDefaults()
	em, err := newEmitter(c.Name, c.Emit, true)
	if err != nil {
		return nil, err
	}
	if err := endpoint.CheckMethod(c.Method); err != nil {
		return nil, configErr(c.Name, "http.method", "%v, got %q", err, c.Method)
	}
	if c.MaxBodyBytes < 0 {
		return nil, configErr(c.Name, "maxBodyBytes", "must not be negative, got %d", c.MaxBodyBytes)
	}
	if c.ReplyTimeout < 0 {
		return nil, configErr(c.Name, "http.reply.timeout", "must be positive, got %s", c.ReplyTimeout)
	}
	if err := checkToken(c.Token); err != nil {
		return nil, configErr(c.Name, "http.tokenRef", "%v", err)
	}
	rt := &Route{name: c.Name, method: c.Method, emit: em, maxBody: c.MaxBodyBytes, timeout: c.ReplyTimeout}
	if rt.headers, rt.query, err = buildMappings(c); err != nil {
		return nil, err
	}
	if len(c.Token) > 0 {
		rt.token = newBearer(c.Token)
	}
	return rt, nil
}

// Replies registers interest in the answer to an event before it is
// published; reply routes use it. *ReplyWaiter implements it.
type Replies interface {
	// Wait registers interest in the answer to the event with id and
	// source. Errors mean no answer can be received (answered 503).
	Wait(ctx context.Context, id, source string) (*Waiter, error)
}

// Route is an HTTP route trigger: it turns each request on its path into
// one CloudEvent whose data is the request body and whose time is the time
// of the request. It is an http.Handler and safe for concurrent use.
//
// Answers: 202 {"id": ...} once the event is stored (in reply mode: 200
// with the answer event, 502 {"error", "id", "function", "reason"} as soon
// as a function dead-letters the event, 504 after the timeout), 400 for a bad Idempotency-Key, header or query
// value, 401 without the configured bearer token, 405 for another method,
// 413 over the body limit, 503 while the broker is unreachable.
type Route struct {
	name      string
	method    string
	emit      emitter
	headers   []mapping
	query     []mapping
	token     *bearer
	maxBody   int64
	timeout   time.Duration
	replies   Replies
	pub       EventPublisher
	validator DataValidator
	clock     Clock
	log       *slog.Logger
}

// NewRoute builds an HTTP route publishing through pub: defaults, then
// options, then cfg.Validate, so a route that is built can serve. A route
// in reply mode needs WithReplies. Errors wrap ErrConfig and name the
// field.
func NewRoute(cfg RouteConfig, pub EventPublisher, opts ...Option) (*Route, error) {
	rt, err := cfg.build()
	if err == nil {
		err = needPublisher(cfg.Name, pub)
	}
	if err != nil {
		return nil, err
	}
	d := applyOptions(opts)
	if cfg.Reply {
		if d.replies == nil {
			return nil, configErr(cfg.Name, "http.reply", "needs a reply waiter (WithReplies)")
		}
		rt.replies = d.replies
	}
	rt.pub, rt.validator, rt.clock = pub, d.validator, d.clock
	rt.log = d.log.With("trigger", cfg.Name)
	return rt, nil
}

// ServeHTTP implements http.Handler.
func (rt *Route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != rt.method {
		w.Header().Set("Allow", rt.method)
		writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed, use %s", r.Method, rt.method))
		return
	}
	if err := rt.token.check(r.Header); err != nil {
		writeUnauthorized(w, err)
		return
	}
	id, err := idempotencyKey(r.Header)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if id == "" {
		id = uuid.NewString()
	}
	e := rt.emit.event(id, "", rt.clock.Now().UTC())
	if err := rt.mapRequest(e, r); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	body, ok := readBodyOrAnswer(w, r, rt.maxBody)
	if !ok {
		return
	}
	if len(body) > 0 {
		ct, err := routeContentType(r.Header)
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		e.SetDataContentType(ct)
		e.DataEncoded = body
	}
	if rt.validator != nil {
		if err := rt.validator.Validate(e.Type(), e.Data()); err != nil {
			writeError(w, http.StatusBadRequest, &AttrError{Attribute: "data", Rule: err.Error()})
			return
		}
	}
	if rt.replies != nil {
		// The answer may come as late as the reply timeout: give the write
		// that long, whatever the server's write timeout.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(rt.timeout + replyWriteMargin))
		rt.serveReply(w, r, e)
		return
	}
	ack, err := rt.pub.Publish(r.Context(), e)
	if err != nil {
		rt.publishFailed(w, r, e, err)
		return
	}
	writeJSON(w, http.StatusAccepted, acceptedBody{ID: id, Duplicate: ack.Duplicate})
}

// acceptedBody is the answer once an event is stored.
type acceptedBody struct {
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

// publishFailed answers a failed publish and logs it.
func (rt *Route) publishFailed(w http.ResponseWriter, r *http.Request, e *event.Event, err error) {
	status, answer := publishFailure(r.Context(), err)
	logPublishFailure(rt.log, e, status, err)
	writeError(w, status, answer)
}

// publishFailure maps a publish error to the status of the answer and the
// error shown to the client: 429 (slow down) when a discard-new stream is
// full, 503 (retry later) while the broker is unreachable, refuses to
// store or has no stream for the event (one deleted under `up`), 400 when
// the codec refuses the event, 500 otherwise (err is not shown, see
// writeError).
func publishFailure(ctx context.Context, err error) (int, error) {
	switch {
	case errors.Is(err, broker.ErrStreamFull):
		return http.StatusTooManyRequests, errStreamFull
	case errors.Is(err, broker.ErrInProcess):
		return http.StatusConflict, errInProcess
	case errors.Is(err, broker.ErrUnavailable), errors.Is(err, broker.ErrRejected), errors.Is(err, broker.ErrNoStream):
		return http.StatusServiceUnavailable, errUnavailable
	case errors.Is(err, broker.ErrMalformedEvent):
		var ae *broker.AttributeError
		if errors.As(err, &ae) {
			return http.StatusBadRequest, attrErr(ae.Attribute, ae.Err.Error())
		}
		return http.StatusBadRequest, attrErr("", "cannot be stored: "+err.Error())
	case ctx.Err() != nil:
		return http.StatusServiceUnavailable, errClientGone
	default:
		return http.StatusInternalServerError, err
	}
}

// logPublishFailure logs a failed publish at a level matching its status.
func logPublishFailure(log *slog.Logger, e *event.Event, status int, err error) {
	level := slog.LevelWarn
	if status == http.StatusInternalServerError {
		level = slog.LevelError
	}
	log.Log(context.Background(), level, "event not stored", append(eventAttrs(e.ID(), e.Source(), e.Type()), "status", status, "error", logValue(err.Error()))...)
}

// idempotencyKey returns the Idempotency-Key header, "" when absent. A key
// that is present must be one value of 1 to 255 printable ASCII characters.
func idempotencyKey(h http.Header) (string, error) {
	vals := h.Values(IdempotencyKeyHeader)
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1:
		return "", fmt.Errorf("header %s: must appear only once", IdempotencyKeyHeader)
	}
	k := vals[0]
	switch {
	case strings.TrimSpace(k) == "":
		return "", fmt.Errorf("header %s: must not be empty", IdempotencyKeyHeader)
	case len(k) > maxIdempotencyKeyLen:
		return "", fmt.Errorf("header %s: must be at most %d characters, got %d", IdempotencyKeyHeader, maxIdempotencyKeyLen, len(k))
	case !isPrintableASCII(k):
		return "", fmt.Errorf("header %s: must contain only printable ASCII characters", IdempotencyKeyHeader)
	}
	return k, nil
}

// routeContentType returns the request's Content-Type as datacontenttype,
// application/octet-stream when there is none.
func routeContentType(h http.Header) (string, error) {
	ct := strings.TrimSpace(h.Get("Content-Type"))
	if ct == "" {
		return defaultContentType, nil
	}
	if _, _, err := mime.ParseMediaType(ct); err != nil || !isPrintableASCII(ct) {
		return "", fmt.Errorf("header Content-Type: %w", attrErr("datacontenttype", ruleMediaType))
	}
	return ct, nil
}
