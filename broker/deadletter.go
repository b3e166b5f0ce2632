package broker

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/internal/cebind"
	"github.com/fnmesh/fnmesh/internal/config"
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
}

// DeadLetterStreamName returns the name of the mesh's dead-letter stream.
func DeadLetterStreamName(m *config.Mesh) string {
	if m.DeadLetter.Stream == "" {
		return config.DefaultDeadLetterStream
	}
	return m.DeadLetter.Stream
}

// DeadLetterSubject returns the subject dead letters of function fn are
// stored on: "<deadLetter.subjectPrefix>.<fn>" (fn escaped like an event
// type). An empty fn returns the wildcard subject of all dead letters.
func DeadLetterSubject(m *config.Mesh, fn string) string {
	prefix := m.DeadLetter.SubjectPrefix
	if prefix == "" {
		prefix = config.DefaultDeadLetterPrefix
	}
	if fn == "" {
		return prefix + ".>"
	}
	return Subject(prefix, fn)
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

// PublishDeadLetter stores a copy of e with the deadletter* extensions of
// info on the dead-letter subject of info.Function and waits for the
// PubAck. msgID is the de-duplication id; it must identify the failed
// delivery (function and stream sequence of the original), so a repeated
// dead-lettering of the same delivery is stored once while the same event
// dead-lettered again after a redrive is stored again. e is not modified.
func (c *Client) PublishDeadLetter(ctx context.Context, m *config.Mesh, e *event.Event, info DeadLetterInfo, msgID string) (Ack, error) {
	if e == nil || e.Context == nil {
		return Ack{}, fmt.Errorf("broker: dead letter: %w", cebind.NewAttributeError("specversion", "event has no context"))
	}
	dl := e.Clone()
	for name, v := range info.extensions() {
		if err := dl.Context.SetExtension(name, v); err != nil {
			return Ack{}, fmt.Errorf("broker: dead letter: %w", &AttributeError{Attribute: name, Err: err})
		}
	}
	return c.PublishTo(ctx, DeadLetterSubject(m, info.Function), &dl, msgID)
}

// PublishDeadLetterRaw stores a message that is not a valid CloudEvent as it
// is (headers and payload) on the dead-letter subject of info.Function, with
// the deadletter* attributes added as "ce-" headers, and waits for the
// PubAck. Headers starting with "Nats-" are dropped (they would steer the
// store, not describe the message); msgID becomes the Nats-Msg-Id.
func (c *Client) PublishDeadLetterRaw(ctx context.Context, m *config.Mesh, hdr nats.Header, data []byte, info DeadLetterInfo, msgID string) (Ack, error) {
	msg := nats.NewMsg(DeadLetterSubject(m, info.Function))
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
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	pa, err := c.js.PublishMsg(ctx, msg)
	if err != nil {
		return Ack{}, c.classify(msg.Subject, err)
	}
	return Ack{Stream: pa.Stream, Sequence: pa.Sequence, Duplicate: pa.Duplicate}, nil
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

// DeadLetters calls visit for each dead letter of function fn ("" = every
// function) stored at or after since (zero = all), oldest first, until the
// end of the stream as it was at the call or until visit returns false.
func (c *Client) DeadLetters(ctx context.Context, m *config.Mesh, fn string, since time.Time, visit func(DeadLetter) bool) error {
	return c.readDeadLetters(ctx, m, fn, since, func(d DeadLetter) (bool, error) { return visit(d), nil })
}

// Redrive sends the dead letters of function fn ("" = every function)
// stored at or after since back to the subjects they were consumed from,
// with the deadletter* extensions removed and the redrivefunction extension
// naming the function that gave up (so only that function handles the event
// again). Each one is published with a fresh de-duplication id (the
// original id would be dropped inside the stream's duplicate window) and
// deleted from the dead-letter stream only after the PubAck: a failure
// between the two leaves a copy in both places, never in neither. Dead
// letters that hold an undecodable message stay where they are. Redrive
// returns how many dead letters were sent back.
func (c *Client) Redrive(ctx context.Context, m *config.Mesh, fn string, since time.Time) (int, error) {
	stream := DeadLetterStreamName(m)
	n := 0
	err := c.readDeadLetters(ctx, m, fn, since, func(d DeadLetter) (bool, error) {
		if d.Event == nil {
			c.log.Warn("dead letter left in place: not a valid CloudEvent", "stream", stream, "seq", d.Seq, "error", d.Err)
			return true, nil
		}
		e := RedriveEvent(d)
		subject := d.Subject
		if subject == "" {
			subject = Subject(c.prefix, e.Type())
		}
		msgID := fmt.Sprintf("redrive-%s-%d-%d", stream, d.Seq, time.Now().UnixNano())
		if _, err := c.PublishTo(ctx, subject, e, msgID); err != nil {
			return false, fmt.Errorf("broker: redrive %s/%d: %w", stream, d.Seq, err)
		}
		if err := c.DeleteMsg(ctx, stream, d.Seq); err != nil {
			return false, fmt.Errorf("broker: redrive %s/%d: published again, but not removed: %w", stream, d.Seq, err)
		}
		n++
		return true, nil
	})
	return n, err
}

// RedriveEvent returns the event of a dead letter as Redrive publishes it:
// the deadletter* extensions removed and redrivefunction set to the
// function that gave up. d.Event is not modified.
func RedriveEvent(d DeadLetter) *event.Event {
	e := d.Event.Clone()
	for _, name := range deadLetterExtensions {
		_ = e.Context.SetExtension(name, nil) // nil deletes; never fails
	}
	if d.Function != "" {
		_ = e.Context.SetExtension(ExtRedriveFunction, d.Function)
	}
	return &e
}

// readDeadLetters reads the dead-letter stream with an ordered consumer up
// to its last sequence at the time of the call.
func (c *Client) readDeadLetters(ctx context.Context, m *config.Mesh, fn string, since time.Time, visit func(DeadLetter) (bool, error)) error {
	name := DeadLetterStreamName(m)
	s, err := c.js.Stream(ctx, name)
	if err != nil {
		return fmt.Errorf("broker: dead letters: stream %s: %w", name, c.classify(name, err))
	}
	last := s.CachedInfo().State.LastSeq
	if s.CachedInfo().State.Msgs == 0 {
		return nil
	}
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: []string{DeadLetterSubject(m, fn)}}
	if !since.IsZero() {
		occ.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		occ.OptStartTime = &since
	}
	cons, err := s.OrderedConsumer(ctx, occ)
	if err != nil {
		return fmt.Errorf("broker: dead letters: %w", c.classify(name, err))
	}
	for {
		batch, err := cons.FetchNoWait(256)
		if err != nil {
			return fmt.Errorf("broker: dead letters: %w", c.classify(name, err))
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			md, err := msg.Metadata()
			if err != nil {
				return fmt.Errorf("broker: dead letters: %w", err)
			}
			if md.Sequence.Stream > last {
				return nil
			}
			more, err := visit(parseDeadLetter(md.Sequence.Stream, md.Timestamp, msg.Headers(), msg.Data()))
			if err != nil || !more || md.Sequence.Stream == last || md.NumPending == 0 {
				return err
			}
		}
		if err := batch.Error(); err != nil {
			return fmt.Errorf("broker: dead letters: %w", c.classify(name, err))
		}
		if n == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// parseDeadLetter reads a dead-letter message. The deadletter* attributes
// are taken from the decoded event, or from the raw "ce-" headers when the
// message is not a valid CloudEvent. Attributes that are missing or
// malformed are left zero (Time falls back to stored).
func parseDeadLetter(seq uint64, stored time.Time, hdr nats.Header, data []byte) DeadLetter {
	d := DeadLetter{Seq: seq, Time: stored}
	get := func(name string) (string, bool) { return cebind.ExtensionHeader(hdr, name) }
	e, err := DecodeMsg(hdr, data)
	if err != nil {
		d.Err = err
	} else {
		d.Event = e
		ext := e.Extensions()
		get = func(name string) (string, bool) {
			v, ok := ext[name]
			if !ok {
				return "", false
			}
			s, err := types.Format(v)
			return s, err == nil
		}
	}
	d.Function, _ = get(ExtDeadLetterFunction)
	d.Reason, _ = get(ExtDeadLetterReason)
	d.Subject, _ = get(ExtDeadLetterSubject)
	if s, ok := get(ExtDeadLetterAttempts); ok {
		if n, err := strconv.ParseInt(s, 10, 32); err == nil && n >= 0 {
			d.Attempts = int(n)
		}
	}
	if s, ok := get(ExtDeadLetterTime); ok {
		if t, err := types.ParseTime(s); err == nil {
			d.Time = t
		}
	}
	return d
}
