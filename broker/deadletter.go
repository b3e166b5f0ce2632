package broker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/internal/cebind"
)

// Extension attributes a dead letter carries on top of the original event.
const (
	// ExtDeadLetterFunction names the function that gave up on the event.
	ExtDeadLetterFunction = "deadletterfunction"
	// ExtDeadLetterAttempts is the number of delivery attempts (an integer).
	ExtDeadLetterAttempts = "deadletterattempts"
	// ExtDeadLetterReason is the last error, at most MaxDeadLetterReason bytes.
	ExtDeadLetterReason = "deadletterreason"
	// ExtDeadLetterTime is when the event was dead-lettered (a timestamp).
	ExtDeadLetterTime = "deadlettertime"
	// ExtDeadLetterSubject is the NATS subject the event was consumed from;
	// Redrive publishes the event back there.
	ExtDeadLetterSubject = "deadlettersubject"
	// ExtRedriveFunction is set by Redrive on the event it sends back: only
	// the named function handles it, the other functions whose filters match
	// skip it (they had handled it already).
	ExtRedriveFunction = "redrivefunction"
)

// MaxDeadLetterReason bounds the length in bytes of the reason stored with a
// dead letter. Longer reasons are cut at a UTF-8 character boundary and end
// with "...".
const MaxDeadLetterReason = 1024

// deadLetterExtensions are removed from an event that is redriven.
var deadLetterExtensions = [...]string{
	ExtDeadLetterFunction, ExtDeadLetterAttempts, ExtDeadLetterReason,
	ExtDeadLetterTime, ExtDeadLetterSubject,
}

// DeadLetterInfo says which function gave up on an event, and why.
type DeadLetterInfo struct {
	// Function that gave up.
	Function string
	// Attempts is the number of delivery attempts made.
	Attempts int
	// Reason is the last error; it is truncated to MaxDeadLetterReason bytes.
	Reason string
	// Time the event was dead-lettered; zero means now.
	Time time.Time
	// Subject the event was consumed from.
	Subject string
}

// DeadLetter is one entry of the dead-letter stream.
type DeadLetter struct {
	// Seq is the sequence of the dead letter in the dead-letter stream.
	Seq uint64
	// Function that gave up on the event.
	Function string
	// Attempts is the number of delivery attempts made.
	Attempts int
	// Reason is the last error.
	Reason string
	// Time the event was dead-lettered.
	Time time.Time
	// Subject the event was consumed from.
	Subject string
	// Event is the original event with the deadletter* extensions, or nil
	// when the message could not be decoded (then Err says why).
	Event *event.Event
	// Err is set when the dead letter holds a message that was not a valid
	// CloudEvent (dead-lettered because it could not be decoded).
	Err error
	// TraceParent is the W3C traceparent the dead letter was stored with
	// (the trace of the failed attempts); empty when it was not traced.
	TraceParent string
}

// Defaults of DeadLetterConfig.
const (
	// DefaultDeadLetterStream is the name of the dead-letter stream.
	DefaultDeadLetterStream = "DEADLETTER"
	// DefaultDeadLetterPrefix is the first token of dead-letter subjects.
	DefaultDeadLetterPrefix = "deadletter"
)

// DeadLetterConfig says where dead letters are kept. The zero value is
// usable: empty fields get their defaults.
type DeadLetterConfig struct {
	// Stream holds the dead letters. Default "DEADLETTER".
	Stream string
	// SubjectPrefix: a dead letter of function F is stored on
	// "<SubjectPrefix>.F" (F escaped like an event type). Default
	// "deadletter".
	SubjectPrefix string
	// MaxAge is how long dead letters are kept (0 = forever).
	MaxAge time.Duration
	// Replicas is the number of copies of the stream on a NATS cluster
	// (0 = 1).
	Replicas int
}

// withDefaults returns c with every empty field set to its default.
func (c DeadLetterConfig) withDefaults() DeadLetterConfig {
	c.Stream = cmp.Or(c.Stream, DefaultDeadLetterStream)
	c.SubjectPrefix = cmp.Or(c.SubjectPrefix, DefaultDeadLetterPrefix)
	return c
}

// Validate reports every field of c that breaks a rule (after defaults),
// as *FieldError values joined with errors.Join.
func (c DeadLetterConfig) Validate() error {
	c = c.withDefaults()
	var r rules
	r.check("dead letters: SubjectPrefix", CheckSubject(c.SubjectPrefix, false))
	return errors.Join(r.err(), c.StreamSpec().Validate())
}

// StreamSpec is the stream that holds the dead letters: Stream on
// "<SubjectPrefix>.>". Create it with Client.EnsureStreams.
func (c DeadLetterConfig) StreamSpec() StreamSpec {
	c = c.withDefaults()
	return StreamSpec{Name: c.Stream, Subjects: []string{c.SubjectPrefix + ".>"}, MaxAge: c.MaxAge, Replicas: c.Replicas}
}

// DeadLetterQueue stores the events that functions gave up on in the
// dead-letter stream, lists them and sends them back. It is safe for
// concurrent use.
type DeadLetterQueue struct {
	c   *Client
	cfg DeadLetterConfig
}

// NewDeadLetterQueue returns the dead-letter queue of cfg on c. Empty
// fields of cfg get their defaults, then cfg is validated: an invalid cfg
// is an error wrapping ErrInvalid that names the field. The stream itself
// is created by Client.EnsureStreams(ctx, cfg.StreamSpec()).
func NewDeadLetterQueue(c *Client, cfg DeadLetterConfig) (*DeadLetterQueue, error) {
	if c == nil {
		return nil, errors.New("broker: dead letters: nil client")
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &DeadLetterQueue{c: c, cfg: cfg}, nil
}

// Stream is the name of the dead-letter stream.
func (q *DeadLetterQueue) Stream() string { return q.cfg.Stream }

// Subject returns the subject dead letters of function fn are stored on:
// "<SubjectPrefix>.<fn>" (fn escaped like an event type). An empty fn
// returns the wildcard subject of all dead letters.
func (q *DeadLetterQueue) Subject(fn string) string {
	if fn == "" {
		return q.cfg.SubjectPrefix + ".>"
	}
	return Subject(q.cfg.SubjectPrefix, fn)
}

// TruncateReason cuts s to at most MaxDeadLetterReason bytes without
// splitting a UTF-8 character; a cut reason ends with "...". Invalid UTF-8
// is replaced by U+FFFD first, so the result is always valid UTF-8.
func TruncateReason(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= MaxDeadLetterReason {
		return s
	}
	const ellipsis = "..."
	cut := MaxDeadLetterReason - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// DeadLetter stores a delivery that a function gave up on, as it was
// stored (hdr and data), on the dead-letter subject of info.Function, and
// waits for the PubAck. msgID is the de-duplication id; it must identify
// the failed delivery (function and stream sequence of the original), so a
// repeated dead-lettering of the same delivery is stored once while the
// same event dead-lettered again after a redrive is stored again.
//
// A message that decodes as a CloudEvent is stored as that event with the
// deadletter* extensions of info (see DeadLetterEvent). Anything else is
// stored as it is, with the deadletter* attributes added as "ce-" headers
// and the headers starting with "Nats-" dropped (they would steer the
// store, not describe the message). hdr and data are not modified.
func (q *DeadLetterQueue) DeadLetter(ctx context.Context, hdr nats.Header, data []byte, info DeadLetterInfo, msgID string) (Ack, error) {
	if e, err := DecodeMsg(hdr, data); err == nil {
		return q.deadLetterEvent(ctx, e, info, msgID, hdr)
	}
	return q.deadLetterRaw(ctx, hdr, data, info, msgID)
}

// DeadLetterEvent stores a copy of e with the deadletter* extensions of
// info on the dead-letter subject of info.Function and waits for the
// PubAck; msgID is as for DeadLetter. e is not modified.
func (q *DeadLetterQueue) DeadLetterEvent(ctx context.Context, e *event.Event, info DeadLetterInfo, msgID string) (Ack, error) {
	return q.deadLetterEvent(ctx, e, info, msgID, nil)
}

// deadLetterEvent is DeadLetterEvent keeping the W3C trace headers of hdr
// (the message as it was delivered), unless a publish hook sets those of
// the context it runs in: either way the dead letter names the trace of
// its failed attempts, which RedriveEvent carries on.
func (q *DeadLetterQueue) deadLetterEvent(ctx context.Context, e *event.Event, info DeadLetterInfo, msgID string, hdr nats.Header) (Ack, error) {
	if e == nil || e.Context == nil {
		return Ack{}, fmt.Errorf("broker: dead letter: %w", cebind.NewAttributeError("specversion", "event has no context"))
	}
	dl := e.Clone()
	for name, v := range info.extensions() {
		if err := dl.Context.SetExtension(name, v); err != nil {
			return Ack{}, fmt.Errorf("broker: dead letter: %w", &AttributeError{Attribute: name, Err: err})
		}
	}
	msg, err := EncodeMsg(q.Subject(info.Function), &dl)
	if err != nil {
		return Ack{}, err
	}
	if msgID != "" {
		msg.Header.Set(jetstream.MsgIDHeader, msgID)
	}
	for _, k := range [...]string{"traceparent", "tracestate"} {
		if v := hdr.Get(k); v != "" {
			msg.Header.Set(k, v)
		}
	}
	return q.c.send(ctx, &dl, msg)
}

// deadLetterRaw stores a message that is not a valid CloudEvent as it is.
func (q *DeadLetterQueue) deadLetterRaw(ctx context.Context, hdr nats.Header, data []byte, info DeadLetterInfo, msgID string) (Ack, error) {
	msg := nats.NewMsg(q.Subject(info.Function))
	for k, vs := range hdr {
		if len(k) >= 5 && strings.EqualFold(k[:5], "Nats-") {
			continue
		}
		msg.Header[k] = append([]string(nil), vs...)
	}
	for name, v := range info.extensions() {
		if err := cebind.SetExtensionHeader(msg.Header, name, v); err != nil {
			return Ack{}, fmt.Errorf("broker: dead letter: %w", err)
		}
	}
	if msgID != "" {
		msg.Header.Set(jetstream.MsgIDHeader, msgID)
	}
	msg.Data = data
	// Publish hooks expect an event; there is none, so they are skipped.
	ctx, cancel := q.c.withTimeout(ctx)
	defer cancel()
	return q.c.publishMsg(ctx, msg)
}

// extensions returns the deadletter* attributes of info.
func (info DeadLetterInfo) extensions() map[string]any {
	t := info.Time
	if t.IsZero() {
		t = time.Now()
	}
	ext := map[string]any{
		ExtDeadLetterFunction: info.Function,
		ExtDeadLetterAttempts: int32(min(max(info.Attempts, 0), 1<<31-1)),
		ExtDeadLetterReason:   TruncateReason(info.Reason),
		ExtDeadLetterTime:     types.Timestamp{Time: t.UTC()},
	}
	if info.Subject != "" {
		ext[ExtDeadLetterSubject] = info.Subject
	}
	return ext
}
