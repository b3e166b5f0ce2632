package triggers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
)

// EventPublisher stores an event durably. Publish returns only once the
// event is stored (or known to be a duplicate of a stored one, by source
// and id); an error means it may not be. Errors wrapping
// broker.ErrUnavailable mean "try again later". *broker.Client implements
// it.
type EventPublisher interface {
	Publish(ctx context.Context, e *event.Event) (broker.Ack, error)
}

// DataValidator checks the data of an event against the schema registered
// for its type. Validate returns nil when the type has no schema. A non-nil
// error rejects the event with 400; its message should name the path of
// the offending value in the data.
type DataValidator interface {
	Validate(eventType string, data []byte) error
}

// DefaultIngestPath is where a Mux mounts the CloudEvents endpoint when
// IngestConfig.Path is empty.
const DefaultIngestPath = "/events"

// DefaultMaxInFlight is IngestConfig.MaxInFlight when not set.
const DefaultMaxInFlight = 1024

// IngestConfig configures an Ingest.
type IngestConfig struct {
	// Path is where a Mux mounts the endpoint. Default DefaultIngestPath.
	Path string
	// MaxBodyBytes is the largest accepted request body; larger bodies get
	// 413. Default DefaultMaxBodyBytes (1 MiB); at least MinMaxBodyBytes
	// (64 KiB).
	MaxBodyBytes int64
	// MaxInFlight bounds the requests publishing at the same time; a
	// request arriving when all are taken gets 429 with Retry-After.
	// Default DefaultMaxInFlight.
	MaxInFlight int
	// Token, when not empty, is the bearer token every POST must carry
	// ("Authorization: Bearer <token>"); otherwise 401.
	Token []byte
}

// withDefaults returns c with every unset field at its default.
func (c IngestConfig) withDefaults() IngestConfig {
	if c.Path == "" {
		c.Path = DefaultIngestPath
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	return c
}

// Validate reports the first setting of c (with defaults applied) that an
// Ingest cannot run with. Errors wrap ErrConfig and name the field.
func (c IngestConfig) Validate() error {
	c = c.withDefaults()
	fail := func(field, format string, args ...any) error {
		return &ConfigError{Field: "ingest." + field, Rule: fmt.Sprintf(format, args...)}
	}
	switch {
	case c.MaxBodyBytes < MinMaxBodyBytes:
		return fail("maxBodyBytes", "must be at least %d (64 KiB), got %d", MinMaxBodyBytes, c.MaxBodyBytes)
	case c.MaxInFlight < 1:
		return fail("maxInFlight", "must be at least 1, got %d", c.MaxInFlight)
	}
	if err := checkToken(c.Token); err != nil {
		return fail("tokenRef", "%v", err)
	}
	return nil
}

// Ingest is the CloudEvents HTTP endpoint (POST /events): it accepts events
// in binary, structured and batched mode (see ParseRequest), stores them
// through an EventPublisher and answers 202 once they are stored.
//
// Answers: 202 with {"id","stream","seq","duplicate"} for one event, or
// {"accepted": N, "results": [...]} for a batch; 400 with {"error",
// "attribute", "rule", "index"} for an invalid event (in a batch, nothing is
// stored when any event is invalid); 401 with WWW-Authenticate when a token
// is configured and missing or wrong; 405 for methods other than POST and
// OPTIONS; 413 over the size limit; 415 for a request that is not
// CloudEvents; 429 with Retry-After when MaxInFlight requests are
// publishing; 503 with Retry-After while the broker is unreachable.
//
// A batch is stored with JetStream atomic batch publish when the publisher
// is a BatchPublisher (*broker.Client): every event or none, at most
// broker.MaxAtomicBatch; a failure answers which event (index) and why,
// and that nothing was stored (409 when an event of it is already
// stored). With ?atomic=false (AtomicParam) it uses fast batch publish:
// no size limit, not atomic, the answer marks what was acknowledged.
// Other publishers store a batch event by event, in order; when one
// fails, the rest are not tried and the answer lists per index which were
// stored, so the client can retry: storing is idempotent by (source, id).
//
// An event with a "deliverat" extension (RFC 3339) is stored at once and
// delivered at that time (see broker.Client.Publish); a bad value is 400
// naming the attribute.
//
// OPTIONS answers the CloudEvents webhook abuse-protection handshake:
// a request with WebHook-Request-Origin gets WebHook-Allowed-Origin: *.
//
// Ingest is safe for concurrent use.
type Ingest struct {
	pub       EventPublisher
	validator DataValidator
	maxBody   int64
	token     *bearer
	sem       chan struct{}
	log       *slog.Logger
}

var _ http.Handler = (*Ingest)(nil)

// NewIngest returns the endpoint storing events through pub: defaults,
// then options (WithLogger, WithValidator), then cfg.Validate. Errors wrap
// ErrConfig and name the field.
func NewIngest(cfg IngestConfig, pub EventPublisher, opts ...Option) (*Ingest, error) {
	cfg = cfg.withDefaults()
	d := applyOptions(opts)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if pub == nil {
		return nil, fmt.Errorf("%w: ingest: a publisher is required", ErrConfig)
	}
	return &Ingest{
		pub:       pub,
		validator: d.validator,
		maxBody:   cfg.MaxBodyBytes,
		token:     newBearer(cfg.Token),
		sem:       make(chan struct{}, cfg.MaxInFlight),
		log:       d.log,
	}, nil
}

// Errors behind answers that are not about an event.
var (
	errBusy        = errors.New("too many events in flight, retry later")
	errUnavailable = errors.New("event store unavailable, retry later")
	errStreamFull  = errors.New("the stream is full, retry later")
	errMethod      = errors.New("method not allowed: use POST")
	errClientGone  = errors.New("request cancelled")
	errInProcess   = errors.New("an event with this source and id is already in process, retry for its answer")
	allowedMethods = "POST, OPTIONS"
)

// ServeHTTP implements http.Handler.
func (in *Ingest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
	case http.MethodOptions:
		in.serveOptions(w, r)
		return
	default:
		w.Header().Set("Allow", allowedMethods)
		writeError(w, http.StatusMethodNotAllowed, errMethod)
		return
	}
	if err := in.token.check(r.Header); err != nil {
		writeUnauthorized(w, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, in.maxBody)
	events, mode, err := parseRequest(r, in.maxBody)
	if err != nil {
		writeError(w, parseStatus(err), err)
		return
	}
	if err := in.validate(events, mode); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	select {
	case in.sem <- struct{}{}:
		defer func() { <-in.sem }()
	default:
		writeError(w, http.StatusTooManyRequests, errBusy)
		return
	}
	in.publish(w, r, events, mode)
}

// parseStatus maps a ParseRequest error to its HTTP status.
func parseStatus(err error) int {
	if errors.Is(err, ErrUnsupportedMediaType) {
		return http.StatusUnsupportedMediaType
	}
	return bodyStatus(err)
}

// validate checks the deliverat extension of every event and runs the
// data validator over them.
func (in *Ingest) validate(events []*event.Event, mode requestMode) error {
	for i, e := range events {
		if _, _, err := broker.DeliverAt(e); err != nil {
			var ae *broker.AttributeError
			var err2 error = attrErr(broker.DeliverAtExtension, err.Error())
			if errors.As(err, &ae) {
				err2 = attrErr(ae.Attribute, ae.Err.Error())
			}
			if mode == modeBatch {
				err2 = &BatchError{Index: i, Err: err2}
			}
			return err2
		}
	}
	if in.validator == nil {
		return nil
	}
	for i, e := range events {
		if err := in.validator.Validate(e.Type(), e.Data()); err != nil {
			var ae error = &AttrError{Attribute: "data", Rule: err.Error()}
			if mode == modeBatch {
				ae = &BatchError{Index: i, Err: ae}
			}
			return ae
		}
	}
	return nil
}

// serveOptions answers OPTIONS, including the CloudEvents webhook
// abuse-protection handshake.
func (in *Ingest) serveOptions(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Allow", allowedMethods)
	if r.Header.Get("WebHook-Request-Origin") == "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.Set("WebHook-Allowed-Origin", "*")
	if r.Header.Get("WebHook-Request-Rate") != "" {
		h.Set("WebHook-Allowed-Rate", "*")
	}
	w.WriteHeader(http.StatusOK)
}

// publishStatus maps a publish error to the status of the answer.
func (in *Ingest) publishStatus(r *http.Request, e *event.Event, err error) (int, error) {
	switch {
	case errors.Is(err, broker.ErrStreamFull):
		in.log.Warn("ingest: event not stored: stream full", append(eventAttrs(e.ID(), e.Source(), e.Type()), "err", logValue(err.Error()))...)
		return http.StatusTooManyRequests, errStreamFull
	case errors.Is(err, broker.ErrInProcess):
		return http.StatusConflict, errInProcess
	case errors.Is(err, broker.ErrUnavailable), errors.Is(err, broker.ErrRejected), errors.Is(err, broker.ErrNoStream):
		in.log.Warn("ingest: event not stored", append(eventAttrs(e.ID(), e.Source(), e.Type()), "err", logValue(err.Error()))...)
		return http.StatusServiceUnavailable, errUnavailable
	case errors.Is(err, broker.ErrMalformedEvent):
		// The parser's rules should be a superset of the codec's; this is
		// the codec's word on an event the parser let through.
		in.log.Warn("ingest: event refused by the codec", append(eventAttrs(e.ID(), e.Source(), e.Type()), "err", logValue(err.Error()))...)
		var ae *broker.AttributeError
		if errors.As(err, &ae) {
			return http.StatusBadRequest, attrErr(ae.Attribute, ae.Err.Error())
		}
		return http.StatusBadRequest, attrErr("", "cannot be stored: "+err.Error())
	case r.Context().Err() != nil && errors.Is(err, r.Context().Err()):
		in.log.Debug("ingest: client went away during publish", "id", logValue(e.ID()), "err", err)
		return http.StatusServiceUnavailable, errClientGone
	default:
		in.log.Error("ingest: publish failed", append(eventAttrs(e.ID(), e.Source(), e.Type()), "err", logValue(err.Error()))...)
		return http.StatusInternalServerError, err
	}
}
