package broker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DeliverAtExtension is the CloudEvents extension attribute that asks for
// an event to be delivered at a later time (an RFC 3339 timestamp).
const DeliverAtExtension = "deliverat"

// ScheduleSubjectPrefix is the first token of the subjects that hold
// scheduled events. A stream with Schedules captures
// "<ScheduleSubjectPrefix>.<stream>.>" besides its own subjects: JetStream
// keeps a schedule in the stream of its target, on a subject of its own,
// and consumers filtering on event subjects never see it.
const ScheduleSubjectPrefix = "_fnmesh_sched"

// metaMaxDelay is the stream metadata key holding StreamSpec.MaxDelay, so
// that every client publishing into the stream enforces the same bound.
const metaMaxDelay = "fnmesh.maxDelay"

// ErrNotScheduled means no scheduled event matched (CancelScheduled): it
// was never scheduled, was already delivered, or was cancelled.
var ErrNotScheduled = errors.New("no scheduled event with this id")

// ScheduleSubjects is the subject filter of the schedules kept by stream.
func ScheduleSubjects(stream string) string {
	return ScheduleSubjectPrefix + "." + stream + ".>"
}

// scheduleSubject is where the schedule of the event (source, id) is kept
// in stream: one subject per event (JetStream keeps one schedule per
// subject), hashed so that any id and source make valid tokens, id first
// so that CancelScheduled can match every source of one id.
func scheduleSubject(stream, source, id string) string {
	return ScheduleSubjectPrefix + "." + stream + "." + hashToken(id) + "." + hashToken(source)
}

func hashToken(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:12])
}

// DeliverAt returns the time the event asks to be delivered at (its
// "deliverat" extension) and whether it asks. A value that is not an RFC
// 3339 timestamp is an *AttributeError naming "deliverat".
func DeliverAt(e *event.Event) (time.Time, bool, error) {
	v, ok := e.Extensions()[DeliverAtExtension]
	if !ok {
		return time.Time{}, false, nil
	}
	switch x := v.(type) {
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return time.Time{}, false, &AttributeError{Attribute: DeliverAtExtension,
				Err: fmt.Errorf("must be an RFC 3339 timestamp such as 2030-01-02T15:04:05Z, got %q", x)}
		}
		return t, true, nil
	case time.Time:
		return x, true, nil
	case types.Timestamp:
		return x.Time, true, nil
	case *types.Timestamp:
		if x != nil {
			return x.Time, true, nil
		}
	}
	return time.Time{}, false, &AttributeError{Attribute: DeliverAtExtension,
		Err: fmt.Errorf("must be an RFC 3339 timestamp string, got a %T", v)}
}

// streamSched is what a client knows of the stream capturing a subject.
type streamSched struct {
	name      string
	schedules bool
	maxDelay  time.Duration // 0 = no bound
	fetched   time.Time
}

// schedCacheTTL bounds how long a client trusts what it read of a stream's
// configuration (a restart of up with a changed mesh updates it).
const schedCacheTTL = 30 * time.Second

type schedCache struct {
	mu sync.Mutex
	m  map[string]streamSched // by target subject
}

// scheduleInfo returns the stream capturing subject and its schedule
// settings, cached for schedCacheTTL.
func (c *Client) scheduleInfo(ctx context.Context, subject string) (streamSched, error) {
	c.sched.mu.Lock()
	s, ok := c.sched.m[subject]
	c.sched.mu.Unlock()
	if ok && time.Since(s.fetched) < schedCacheTTL {
		return s, nil
	}
	name, err := c.js.StreamNameBySubject(ctx, subject)
	if err != nil {
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return streamSched{}, fmt.Errorf("broker: publish %s: %w: %w", subject, ErrNoStream, err)
		}
		return streamSched{}, c.classify(subject, err)
	}
	st, err := c.js.Stream(ctx, name)
	if err != nil {
		return streamSched{}, c.classify(subject, err)
	}
	cfg := st.CachedInfo().Config
	s = streamSched{name: name, schedules: cfg.AllowMsgSchedules, fetched: time.Now()}
	if d, err := time.ParseDuration(cfg.Metadata[metaMaxDelay]); err == nil && d > 0 {
		s.maxDelay = d
	}
	if cfg.MaxAge > 0 && (s.maxDelay == 0 || cfg.MaxAge < s.maxDelay) {
		// A schedule older than MaxAge would be removed before it fires.
		s.maxDelay = cfg.MaxAge
	}
	c.sched.mu.Lock()
	if c.sched.m == nil {
		c.sched.m = map[string]streamSched{}
	}
	c.sched.m[subject] = s
	c.sched.mu.Unlock()
	return s, nil
}

// scheduleMsg turns msg, bound for its subject, into the schedule that
// JetStream delivers there at `at`: the schedule is stored on its own
// subject with Nats-Schedule "@at <RFC 3339>" and Nats-Schedule-Target
// the event subject. It keeps msg's headers (the ce-* attributes and
// Nats-Msg-Id, so de-duplication holds at publish), which the server copies
// onto the delivered message, less its Nats-Schedule* and Nats-Msg-Id ones.
func (c *Client) scheduleMsg(ctx context.Context, e *event.Event, msg *nats.Msg, at time.Time) error {
	s, err := c.scheduleInfo(ctx, msg.Subject)
	if err != nil {
		return err
	}
	if !s.schedules {
		return fmt.Errorf("broker: publish %s: %w", msg.Subject, &AttributeError{Attribute: DeliverAtExtension,
			Err: fmt.Errorf("stream %s does not keep scheduled events (declare it with schedules: true)", s.name)})
	}
	if s.maxDelay > 0 {
		if ahead := time.Until(at); ahead > s.maxDelay {
			return fmt.Errorf("broker: publish %s: %w", msg.Subject, &AttributeError{Attribute: DeliverAtExtension,
				Err: fmt.Errorf("%s is %s ahead, more than stream %s allows (%s)", at.UTC().Format(time.RFC3339), ahead.Round(time.Second), s.name, s.maxDelay)})
		}
	}
	target := msg.Subject
	msg.Subject = scheduleSubject(s.name, e.Source(), e.ID())
	msg.Header.Set(jetstream.ScheduleHeader, "@at "+at.UTC().Format(time.RFC3339Nano))
	msg.Header.Set(jetstream.ScheduleTargetHeader, target)
	return nil
}

// Scheduled is one event waiting for its time (ListScheduled).
type Scheduled struct {
	ID        string    `json:"id"`
	Source    string    `json:"source"`
	Type      string    `json:"type"`
	DeliverAt time.Time `json:"deliverat"`
	// Subject is where the event is delivered at its time.
	Subject string `json:"subject"`
	Stream  string `json:"stream"`
	Seq     uint64 `json:"seq"`
}

// StreamScheduled is how many events one stream keeps for later
// (CountScheduled).
type StreamScheduled struct {
	Stream    string `json:"stream"`
	Scheduled int    `json:"scheduled"`
}

// scheduleStreams lists the streams that keep schedules.
func (c *Client) scheduleStreams(ctx context.Context) ([]string, error) {
	var names []string
	l := c.js.StreamNames(ctx, jetstream.WithStreamListSubject(ScheduleSubjectPrefix+".>"))
	for n := range l.Name() {
		names = append(names, n)
	}
	if err := l.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		return nil, fmt.Errorf("broker: list streams with schedules: %w", c.classify(ScheduleSubjectPrefix, err))
	}
	return names, nil
}

// CancelScheduled removes the scheduled events with this id (of any
// source when source is empty) before their time, and returns how many it
// removed. None is ErrNotScheduled: the id was never scheduled, its event
// was delivered already, or it was cancelled before.
func (c *Client) CancelScheduled(ctx context.Context, id, source string) (int, error) {
	if id == "" {
		return 0, fmt.Errorf("broker: cancel: %w", &AttributeError{Attribute: "id", Err: errors.New("required")})
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	streams, err := c.scheduleStreams(ctx)
	if err != nil {
		return 0, err
	}
	var n uint64
	for _, name := range streams {
		st, err := c.js.Stream(ctx, name)
		if err != nil {
			return int(n), fmt.Errorf("broker: cancel %s: %w", id, c.classify(name, err))
		}
		filter := ScheduleSubjectPrefix + "." + name + "." + hashToken(id) + ".*"
		if source != "" {
			filter = scheduleSubject(name, source, id)
		}
		info, err := st.Info(ctx, jetstream.WithSubjectFilter(filter))
		if err != nil {
			return int(n), fmt.Errorf("broker: cancel %s: %w", id, c.classify(name, err))
		}
		if len(info.State.Subjects) == 0 {
			continue
		}
		if err := st.Purge(ctx, jetstream.WithPurgeSubject(filter)); err != nil {
			return int(n), fmt.Errorf("broker: cancel %s: %w", id, c.classify(name, err))
		}
		for _, k := range info.State.Subjects {
			n += k
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("broker: cancel %s: %w", id, ErrNotScheduled)
	}
	c.log.Info("scheduled events cancelled", "id", id, "count", n)
	return int(n), nil
}

// schedulesOf returns stream name and the subjects of the schedules it
// keeps, with their message counts (one schedule per subject).
func (c *Client) schedulesOf(ctx context.Context, name string) (jetstream.Stream, map[string]uint64, error) {
	st, err := c.js.Stream(ctx, name)
	if err != nil {
		return nil, nil, c.classify(name, err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(ScheduleSubjects(name)))
	if err != nil {
		return nil, nil, c.classify(name, err)
	}
	return st, info.State.Subjects, nil
}

// CountScheduled returns how many events each stream that keeps schedules
// holds for later, in the order the server lists the streams.
func (c *Client) CountScheduled(ctx context.Context) ([]StreamScheduled, error) {
	_, counts, err := c.readScheduled(ctx, 0)
	return counts, err
}

// ListScheduled returns up to limit events waiting for their time, in no
// set order (limit <= 0 means 100), and how many each stream holds (all of
// them, not only the listed ones).
func (c *Client) ListScheduled(ctx context.Context, limit int) ([]Scheduled, []StreamScheduled, error) {
	if limit <= 0 {
		limit = 100
	}
	return c.readScheduled(ctx, limit)
}

// readScheduled counts the schedules of every stream that keeps them, and
// reads the events of up to limit of them (none for limit 0): one stream
// info per stream serves both.
func (c *Client) readScheduled(ctx context.Context, limit int) ([]Scheduled, []StreamScheduled, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	streams, err := c.scheduleStreams(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := []Scheduled{}
	counts := make([]StreamScheduled, 0, len(streams))
	for _, name := range streams {
		st, subjects, err := c.schedulesOf(ctx, name)
		if err != nil {
			return nil, nil, fmt.Errorf("broker: scheduled events: %w", err)
		}
		counts = append(counts, StreamScheduled{Stream: name, Scheduled: len(subjects)})
		for subj := range subjects {
			if len(out) >= limit {
				break
			}
			m, err := st.GetLastMsgForSubject(ctx, subj)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue // delivered meanwhile
			}
			if err != nil {
				return nil, nil, fmt.Errorf("broker: scheduled events: %w", c.classify(name, err))
			}
			sc := Scheduled{Stream: name, Seq: m.Sequence, Subject: m.Header.Get(jetstream.ScheduleTargetHeader)}
			if e, err := DecodeMsg(m.Header, m.Data); err == nil {
				sc.ID, sc.Source, sc.Type = e.ID(), e.Source(), e.Type()
			}
			if at, ok := strings.CutPrefix(m.Header.Get(jetstream.ScheduleHeader), "@at "); ok {
				sc.DeliverAt, _ = time.Parse(time.RFC3339Nano, at)
			}
			out = append(out, sc)
		}
	}
	return out, counts, nil
}
