package broker

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/internal/cebind"
)

// List calls visit for each dead letter of function fn ("" = every
// function) stored at or after since (zero = all), oldest first, until the
// end of the stream as it was at the call or until visit returns false.
func (q *DeadLetterQueue) List(ctx context.Context, fn string, since time.Time, visit func(DeadLetter) bool) error {
	return q.read(ctx, fn, since, func(d DeadLetter) (bool, error) { return visit(d), nil })
}

// Selection picks dead letters. Zero fields select everything; the
// fields that are set must all match.
type Selection struct {
	// Function that gave up ("" = every function; server-side).
	Function string
	// Since: stored at or after (zero = all).
	Since time.Time
	// IDs: the event id is one of these.
	IDs []string
	// Type: the event type equals this.
	Type string
	// Match, when set, must return true (a CESQL filter, for instance).
	Match func(*event.Event) bool
}

// Selects reports whether d is in s. A dead letter that holds no valid
// CloudEvent is selected only by Function and Since.
func (s Selection) Selects(d DeadLetter) bool {
	if d.Event == nil {
		return len(s.IDs) == 0 && s.Type == "" && s.Match == nil
	}
	switch {
	case len(s.IDs) > 0 && !slices.Contains(s.IDs, d.Event.ID()):
		return false
	case s.Type != "" && d.Event.Type() != s.Type:
		return false
	case s.Match != nil && !s.Match(d.Event):
		return false
	}
	return true
}

// Redrive sends the dead letters of function fn ("" = every function)
// stored at or after since back (RedriveSelected).
func (q *DeadLetterQueue) Redrive(ctx context.Context, fn string, since time.Time) (int, error) {
	return q.RedriveSelected(ctx, Selection{Function: fn, Since: since}, false)
}

// RedriveSelected sends the dead letters of sel back to the subjects they
// were consumed from, with the deadletter* extensions removed and the
// redrivefunction extension naming the function that gave up (so only
// that function handles the event again). Each one is published with a
// fresh de-duplication id (the original id would be dropped inside the
// stream's duplicate window) and deleted from the dead-letter stream only
// after the PubAck: a failure between the two leaves a copy in both
// places, never in neither. Dead letters that hold an undecodable message
// stay where they are. It returns how many dead letters were sent back, or
// with dryRun how many would be, sending none.
func (q *DeadLetterQueue) RedriveSelected(ctx context.Context, sel Selection, dryRun bool) (int, error) {
	c, stream := q.c, q.cfg.Stream
	n := 0
	err := q.read(ctx, sel.Function, sel.Since, func(d DeadLetter) (bool, error) {
		if !sel.Selects(d) {
			return true, nil
		}
		if d.Event == nil {
			c.log.Warn("dead letter left in place: not a valid CloudEvent", "stream", stream, "seq", d.Seq, "error", d.Err)
			return true, nil
		}
		if dryRun {
			n++
			return true, nil
		}
		e := RedriveEvent(d)
		subject := d.Subject
		if subject == "" {
			subject = Subject(c.cfg.SubjectPrefix, e.Type())
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

// Purge deletes the dead letters of sel for good, undecodable ones
// included when sel selects them. It returns how many were deleted, or
// with dryRun how many would be, deleting none.
func (q *DeadLetterQueue) Purge(ctx context.Context, sel Selection, dryRun bool) (int, error) {
	n := 0
	err := q.read(ctx, sel.Function, sel.Since, func(d DeadLetter) (bool, error) {
		if !sel.Selects(d) {
			return true, nil
		}
		if !dryRun {
			if err := q.c.DeleteMsg(ctx, q.cfg.Stream, d.Seq); err != nil {
				return false, fmt.Errorf("broker: purge %s/%d: %w", q.cfg.Stream, d.Seq, err)
			}
		}
		n++
		return true, nil
	})
	return n, err
}

// RedriveEvent returns the event of a dead letter as Redrive publishes it:
// the deadletter* extensions removed, redrivefunction set to the function
// that gave up and, when the dead letter was traced, replaytraceparent to
// its trace (the new delivery links to it). d.Event is not modified.
func RedriveEvent(d DeadLetter) *event.Event {
	e := d.Event.Clone()
	for _, name := range deadLetterExtensions {
		_ = e.Context.SetExtension(name, nil) // nil deletes; never fails
	}
	if d.Function != "" {
		_ = e.Context.SetExtension(ExtRedriveFunction, d.Function)
	}
	if d.TraceParent != "" {
		_ = e.Context.SetExtension(ExtReplayTraceParent, d.TraceParent)
	}
	return &e
}

// read reads the dead-letter stream with an ordered consumer up to its
// last sequence at the time of the call.
func (q *DeadLetterQueue) read(ctx context.Context, fn string, since time.Time, visit func(DeadLetter) (bool, error)) error {
	c, name := q.c, q.cfg.Stream
	s, err := c.js.Stream(ctx, name)
	if err != nil {
		return fmt.Errorf("broker: dead letters: stream %s: %w", name, c.classify(name, err))
	}
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: []string{q.Subject(fn)}}
	if !since.IsZero() {
		occ.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		occ.OptStartTime = &since
	}
	err = readOrdered(ctx, s, s.CachedInfo().State, occ, func(msg jetstream.Msg, md *jetstream.MsgMetadata) (bool, error) {
		return visit(parseDeadLetter(md.Sequence.Stream, md.Timestamp, msg.Headers(), msg.Data()))
	})
	if err != nil {
		return fmt.Errorf("broker: dead letters: %w", c.classify(name, err))
	}
	return nil
}

// parseDeadLetter reads a dead-letter message. The deadletter* attributes
// are taken from the decoded event, or from the raw "ce-" headers when the
// message is not a valid CloudEvent. Attributes that are missing or
// malformed are left zero (Time falls back to stored).
func parseDeadLetter(seq uint64, stored time.Time, hdr nats.Header, data []byte) DeadLetter {
	d := DeadLetter{Seq: seq, Time: stored, TraceParent: hdr.Get("traceparent")}
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
