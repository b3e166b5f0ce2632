package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Storage is where a stream keeps its messages.
type Storage string

// Storage kinds.
const (
	// StorageFile keeps messages on disk (the default).
	StorageFile Storage = "file"
	// StorageMemory keeps messages in memory: fast, lost on a restart.
	StorageMemory Storage = "memory"
)

// MaxReplicas is the most copies JetStream keeps of a stream.
const MaxReplicas = 5

// StreamSpec declares a JetStream stream that stores events. A zero field
// means the server's default, noted on each field; the broker adds no
// default of its own.
type StreamSpec struct {
	// Name of the stream.
	Name string
	// Subjects the stream captures, e.g. "events.>". A subject belongs to
	// one stream only.
	Subjects []string
	// MaxAge is how long a message is kept (0 = forever).
	MaxAge time.Duration
	// MaxBytes caps the stream size in bytes (0 = unlimited).
	MaxBytes int64
	// MaxMsgs caps the number of messages (0 = unlimited).
	MaxMsgs int64
	// MaxMsgsPerSubject caps the messages kept per subject, that is per
	// event type (0 = unlimited).
	MaxMsgsPerSubject int64
	// Discard is what the stream does at a limit (DiscardNew or
	// DiscardOld). "" creates a new stream with DefaultDiscard and leaves
	// an existing stream's policy as it is; a policy that is set is
	// applied to an existing stream too.
	Discard Discard
	// Replicas is the number of copies on a NATS cluster, 1 to MaxReplicas
	// (0 = 1).
	Replicas int
	// Storage is StorageFile or StorageMemory ("" = StorageFile).
	Storage Storage
	// DuplicateWindow is how long message ids are remembered for
	// de-duplication; never longer than MaxAge (0 = 2m, or MaxAge when
	// that is shorter).
	DuplicateWindow time.Duration
	// Schedules lets the stream keep scheduled events (events with a
	// "deliverat" extension, see Client.Publish): JetStream message
	// schedules, with the stream also capturing ScheduleSubjects(Name).
	// It needs DiscardOld (JetStream's rule). Once on, a stream keeps it:
	// JetStream cannot turn schedules off.
	Schedules bool
	// MaxDelay bounds how far ahead a scheduled event may be (0 = no bound
	// but MaxAge). It is kept in the stream's metadata.
	MaxDelay time.Duration
}

// Validate reports every field of s that breaks a rule, as *FieldError
// values joined with errors.Join.
func (s StreamSpec) Validate() error {
	var r rules
	add := func(f string, err error) { r.check(fmt.Sprintf("stream %q: %s", s.Name, f), err) }
	add("Name", CheckStreamName(s.Name))
	add("Subjects", CheckHasSubjects(s.Subjects))
	for i, subj := range s.Subjects {
		add(fmt.Sprintf("Subjects[%d]", i), CheckSubject(subj, true))
	}
	add("MaxBytes", CheckLimit(s.MaxBytes))
	add("MaxMsgs", CheckLimit(s.MaxMsgs))
	add("MaxMsgsPerSubject", CheckLimit(s.MaxMsgsPerSubject))
	add("Discard", CheckDiscard(s.Discard))
	if s.Replicas != 0 {
		add("Replicas", CheckReplicas(s.Replicas))
	}
	add("Storage", CheckStorage(s.Storage))
	add("MaxAge", checkMaxAge(s.MaxAge))
	add("DuplicateWindow", CheckDuplicateWindow(s.DuplicateWindow, s.MaxAge))
	add("Schedules", CheckSchedules(s.Schedules, s.Discard, s.HasLimits()))
	add("MaxDelay", CheckMaxDelay(s.MaxDelay, s.MaxAge))
	return r.err()
}

// The rules of StreamSpec's fields, one function per rule, so that a file
// declaring streams reports them at its own field positions without
// writing the rule again.

// CheckStreamName reports why name cannot name a JetStream stream, or nil.
func CheckStreamName(name string) error {
	switch {
	case name == "":
		return errors.New("required")
	case len(name) > 255:
		return errors.New("must be at most 255 bytes")
	case strings.ContainsFunc(name, func(r rune) bool {
		return r <= ' ' || r == 0x7f || strings.ContainsRune(`.*>/\`, r)
	}):
		return errors.New(`must not contain white space, control characters, '.', '*', '>', '/' or '\'`)
	}
	return nil
}

// CheckHasSubjects reports an empty subject list: a stream declared here
// captures at least one subject (JetStream would capture the stream's name).
func CheckHasSubjects(subjects []string) error {
	if len(subjects) == 0 {
		return errors.New("must list at least one subject")
	}
	return nil
}

// checkMaxAge reports a negative maxAge.
func checkMaxAge(d time.Duration) error {
	if d < 0 {
		return errors.New("must not be negative (0 means forever)")
	}
	return nil
}

// CheckReplicas reports a replica count outside 1..MaxReplicas.
func CheckReplicas(n int) error {
	if n < 1 || n > MaxReplicas {
		return fmt.Errorf("must be between 1 and %d", MaxReplicas)
	}
	return nil
}

// CheckStorage reports a storage kind other than file or memory ("" is file).
func CheckStorage(s Storage) error {
	switch s {
	case "", StorageFile, StorageMemory:
		return nil
	}
	return fmt.Errorf("must be one of %s, %s", StorageFile, StorageMemory)
}

// CheckLimit reports a negative MaxBytes, MaxMsgs or MaxMsgsPerSubject.
func CheckLimit(n int64) error {
	if n < 0 {
		return errors.New("must not be negative (0 means unlimited)")
	}
	return nil
}

// CheckDuplicateWindow reports a negative duplicate window, or one longer
// than a stream's maxAge (0 = forever): JetStream refuses to remember ids
// longer than it keeps the messages.
func CheckDuplicateWindow(window, maxAge time.Duration) error {
	switch {
	case window < 0:
		return errors.New("must not be negative (0 means the server's default)")
	case maxAge > 0 && window > maxAge:
		return fmt.Errorf("must not be longer than maxAge (%s)", maxAge)
	}
	return nil
}

// CheckSchedules reports a stream with schedules whose discard policy is
// (or defaults to) new: JetStream schedules only on discard-old streams.
func CheckSchedules(on bool, d Discard, hasLimits bool) error {
	if !on {
		return nil
	}
	if d == DiscardNew || (d == "" && hasLimits) {
		return errors.New("needs discard: old (JetStream keeps scheduled events only in discard-old streams; with limits set, discard defaults to new)")
	}
	return nil
}

// CheckMaxDelay reports a negative maxDelay, or one longer than maxAge (a
// schedule older than maxAge would be removed before its time).
func CheckMaxDelay(d, maxAge time.Duration) error {
	switch {
	case d < 0:
		return errors.New("must not be negative (0 means up to maxAge)")
	case maxAge > 0 && d > maxAge:
		return fmt.Errorf("must not be longer than maxAge (%s): a scheduled event would be removed before its time", maxAge)
	}
	return nil
}

// jetstream is the JetStream configuration of s.
func (s StreamSpec) jetstream() jetstream.StreamConfig {
	sc := jetstream.StreamConfig{
		Name:              s.Name,
		Subjects:          s.Subjects,
		MaxAge:            s.MaxAge,
		MaxBytes:          s.MaxBytes,
		MaxMsgs:           s.MaxMsgs,
		MaxMsgsPerSubject: s.MaxMsgsPerSubject,
		Replicas:          s.Replicas,
		Duplicates:        s.DuplicateWindow,
		Storage:           jetstream.FileStorage,
		Retention:         jetstream.LimitsPolicy,
		Discard:           s.Discard.jetstream(),
	}
	if s.Storage == StorageMemory {
		sc.Storage = jetstream.MemoryStorage
	}
	// Atomic and fast batch publish (PublishBatch) cost nothing unused.
	sc.AllowAtomicPublish, sc.AllowBatchPublish = true, true
	if s.Schedules {
		sc.AllowMsgSchedules, sc.AllowRollup = true, true
		sc.Subjects = append(slices.Clone(s.Subjects), ScheduleSubjects(s.Name))
		if s.MaxDelay > 0 {
			sc.Metadata = map[string]string{metaMaxDelay: s.MaxDelay.String()}
		}
	}
	return sc
}

// checkStreams validates every spec and that no two share a name or a
// subject.
func checkStreams(specs []StreamSpec) error {
	var errs []error
	names := map[string]bool{}
	type owner struct{ stream, subject string }
	var owners []owner
	for _, s := range specs {
		if err := s.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if names[s.Name] {
			errs = append(errs, fieldErr(fmt.Sprintf("stream %q: Name", s.Name), errors.New("declared twice")))
		}
		names[s.Name] = true
		for _, subj := range s.Subjects {
			for _, o := range owners {
				if SubjectsOverlap(o.subject, subj) {
					errs = append(errs, fieldErr(fmt.Sprintf("stream %q: Subjects", s.Name),
						fmt.Errorf("%q overlaps %q of stream %q (a subject can belong to one stream only)", subj, o.subject, o.stream)))
				}
			}
			owners = append(owners, owner{stream: s.Name, subject: subj})
		}
	}
	return errors.Join(errs...)
}

// EnsureStreams creates the streams, or updates existing ones to match
// (a spec without Discard keeps an existing stream's policy, see
// StreamSpec.Discard).
// The specs are validated first (each one, and no two sharing a name or a
// subject); nothing is created when one is invalid.
func (c *Client) EnsureStreams(ctx context.Context, specs ...StreamSpec) error {
	if err := checkStreams(specs); err != nil {
		return err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	var errs []error
	for _, s := range specs {
		d, err := c.resolveDiscard(ctx, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("broker: stream %s: %w", s.Name, err))
			continue
		}
		s.Discard = d
		if !s.Schedules {
			// JetStream cannot turn schedules off: a stream that has them
			// keeps them (and the subjects they are kept on).
			if st, err := c.js.Stream(ctx, s.Name); err == nil && st.CachedInfo().Config.AllowMsgSchedules {
				s.Schedules = true
			}
		}
		sc := s.jetstream()
		if _, err := c.js.CreateOrUpdateStream(ctx, sc); err != nil {
			errs = append(errs, fmt.Errorf("broker: stream %s: %w", sc.Name, c.classify(sc.Name, err)))
			continue
		}
		c.log.Debug("stream ready", "stream", sc.Name, "subjects", sc.Subjects, "discard", s.Discard)
	}
	return errors.Join(errs...)
}
