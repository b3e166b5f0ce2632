package triggers

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/google/uuid"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/config"
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

// RouteOptions are the process-wide settings of HTTP routes.
type RouteOptions struct {
	// MaxBodyBytes is the largest accepted request body; larger bodies get
	// 413. Default config.DefaultMaxBodyBytes (the ingest default).
	MaxBodyBytes int64
	// Replies waits for the answers of reply routes. Required when the
	// trigger has http.reply; ignored otherwise.
	Replies *ReplyWaiter
	// Validator, when set, checks the request body against the schema
	// registered for the route's event type; a body that fails gets 400.
	Validator DataValidator
	// Logger receives publish failures; nil discards.
	Logger *slog.Logger
}

// Route is an HTTP route trigger: it turns each request on its path into
// one CloudEvent whose data is the request body. It is an http.Handler and
// safe for concurrent use.
//
// Answers: 202 {"id": ...} once the event is stored (200 with the answer
// event in reply mode), 400 for a bad Idempotency-Key, header or query
// value, 401 without the configured bearer token, 405 for another method,
// 413 over the body limit, 503 while the broker is unreachable.
type Route struct {
	name      string
	method    string
	emit      emitter
	headers   []mapping
	query     []mapping
	token     []byte
	maxBody   int64
	timeout   time.Duration
	replies   *ReplyWaiter
	pub       EventPublisher
	validator DataValidator
	log       *slog.Logger
}

// NewRoute builds the route of an HTTP trigger. It checks the trigger (emit
// type required, extension names of the header and query mappings, the
// method) and resolves the bearer token, so a route that is built can
// serve. Errors wrap ErrConfig and name the field.
func NewRoute(cfg config.Trigger, pub EventPublisher, opts RouteOptions) (*Route, error) {
	if cfg.HTTP == nil {
		return nil, configErr(cfg.Name, "http", "required for an HTTP route")
	}
	if pub == nil {
		return nil, configErr(cfg.Name, "publisher", "required")
	}
	em, err := newEmitter(cfg, true)
	if err != nil {
		return nil, err
	}
	h := cfg.HTTP
	rt := &Route{
		name:      cfg.Name,
		method:    strings.ToUpper(h.Method),
		emit:      em,
		maxBody:   opts.MaxBodyBytes,
		pub:       pub,
		validator: opts.Validator,
		log:       orDiscard(opts.Logger).With("trigger", cfg.Name),
	}
	if rt.method == "" {
		rt.method = http.MethodPost
	}
	if !isToken(rt.method) {
		return nil, configErr(cfg.Name, "http.method", "must be an HTTP method token, got %q", h.Method)
	}
	if rt.maxBody <= 0 {
		rt.maxBody = config.DefaultMaxBodyBytes
	}
	if rt.headers, rt.query, err = buildMappings(cfg); err != nil {
		return nil, err
	}
	if h.TokenRef != nil {
		if rt.token, err = h.TokenRef.Resolve(); err != nil {
			return nil, configErr(cfg.Name, "http.tokenRef", "%v", err)
		}
	}
	if h.Reply != nil {
		rt.timeout = h.Reply.Timeout.D()
		if rt.timeout == 0 {
			rt.timeout = config.DefaultReplyTimeout
		}
		if rt.timeout < 0 {
			return nil, configErr(cfg.Name, "http.reply.timeout", "must be positive, got %s", rt.timeout)
		}
		if opts.Replies == nil {
			return nil, configErr(cfg.Name, "http.reply", "needs a reply waiter (RouteOptions.Replies)")
		}
		rt.replies = opts.Replies
	}
	return rt, nil
}

// ServeHTTP implements http.Handler.
func (rt *Route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != rt.method {
		w.Header().Set("Allow", rt.method)
		writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed, use %s", r.Method, rt.method))
		return
	}
	if rt.token != nil && !bearerMatches(r.Header, rt.token) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="fnmesh"`)
		writeError(w, http.StatusUnauthorized, errors.New("missing or wrong bearer token"))
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
	e := rt.emit.event(id, "")
	if err := rt.mapRequest(e, r); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rt.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("%w: limit is %d bytes", ErrBodyTooLarge, rt.maxBody))
			return
		}
		writeError(w, http.StatusBadRequest, attrErr("", ruleBodyRead))
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
// error shown to the client: 503 (retry later) while the broker is
// unreachable or refuses to store, 400 when the codec refuses the event,
// 500 otherwise (err is not shown, see writeError).
func publishFailure(ctx context.Context, err error) (int, error) {
	switch {
	case errors.Is(err, broker.ErrUnavailable), errors.Is(err, broker.ErrRejected):
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
	log.Log(context.Background(), level, "event not stored", "id", e.ID(), "type", e.Type(), "status", status, "error", err)
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

// bearerMatches reports whether h carries "Authorization: Bearer <token>",
// comparing in constant time.
func bearerMatches(h http.Header, token []byte) bool {
	scheme, got, ok := strings.Cut(h.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), token) == 1
}

// orDiscard returns l, or a logger that discards when l is nil.
func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
