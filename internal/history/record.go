package history

import (
	"cmp"
	"strconv"
	"time"

	"github.com/fnmesh/fnmesh/broker"
)

// Defaults of Config.
const (
	// DefaultStream is the name of the run history stream.
	DefaultStream = "FNMESH_RUNS"
	// DefaultSubjectPrefix is the first tokens of the history subjects.
	DefaultSubjectPrefix = "fnmesh.runs"
	// DefaultMaxAge is how long records are kept.
	DefaultMaxAge = 24 * time.Hour
	// DefaultMaxBytes bounds the stream (256 MiB); the oldest records go
	// first.
	DefaultMaxBytes = 256 << 20
)

// MaxError bounds the length in bytes of the error kept with a record.
const MaxError = broker.MaxDeadLetterReason // cut by broker.TruncateReason

// Config says where the history is kept and for how long.
type Config struct {
	// Disabled turns recording off.
	Disabled bool
	// Stream holds the records. Default "FNMESH_RUNS".
	Stream string
	// SubjectPrefix: the records of function F are stored on
	// "<SubjectPrefix>.s<shard>.F" (F escaped like an event type, shard
	// 0..Shards-1 a hash of the event id), a batch of JSON lines per
	// message. Default "fnmesh.runs".
	SubjectPrefix string
	// MaxAge is how long records are kept. Default 24h.
	MaxAge time.Duration
	// MaxBytes bounds the stream; the oldest records are removed first.
	// Default 256 MiB.
	MaxBytes int64
	// Replicas is the number of copies on a NATS cluster (0 = 1).
	Replicas int
}

// WithDefaults returns c with every empty field set to its default.
func (c Config) WithDefaults() Config {
	c.Stream = cmp.Or(c.Stream, DefaultStream)
	c.SubjectPrefix = cmp.Or(c.SubjectPrefix, DefaultSubjectPrefix)
	c.MaxAge = cmp.Or(c.MaxAge, DefaultMaxAge)
	c.MaxBytes = cmp.Or(c.MaxBytes, DefaultMaxBytes)
	return c
}

// StreamSpec is the declaration of the history stream: discard old, so a
// full history never refuses a record.
func (c Config) StreamSpec() broker.StreamSpec {
	c = c.WithDefaults()
	return broker.StreamSpec{
		Name:     c.Stream,
		Subjects: []string{c.SubjectPrefix + ".>"},
		MaxAge:   c.MaxAge,
		MaxBytes: c.MaxBytes,
		Discard:  broker.DiscardOld,
		Replicas: c.Replicas,
	}
}

// Shards of the history subjects: the records of one function are spread
// over Shards subjects by a hash of their event id, so the lookup of one
// event reads the messages of one shard only.
const Shards = 16

// shard is the shard of the records of event id (FNV-1a).
func shard(id string) uint8 {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return uint8(h % Shards)
}

// shardToken is the subject token of shard s: "s0" to "s15".
func shardToken(s uint8) string { return "s" + strconv.Itoa(int(s)) }

// subject is where the records of function fn whose event falls in shard
// s are stored: "<SubjectPrefix>.s<shard>.<fn>".
func (c Config) subject(fn string, s uint8) string {
	return broker.Subject(c.SubjectPrefix+"."+shardToken(s), fn)
}

// Subjects are the subjects holding the records of function fn ("" =
// every function): the sharded ones and the unsharded "<SubjectPrefix>.<fn>"
// the records were stored on before. A pattern may also match a function
// whose escaped name has more tokens, so readers check Record.Function.
func (c Config) Subjects(fn string) []string {
	c = c.WithDefaults()
	if fn == "" {
		return []string{c.SubjectPrefix + ".>"}
	}
	return []string{broker.Subject(c.SubjectPrefix, fn), broker.Subject(c.SubjectPrefix+".*", fn)}
}

// eventSubjects are the subjects that can hold the records of event id:
// its shard, and the unsharded subjects of before.
func (c Config) eventSubjects(id string) []string {
	c = c.WithDefaults()
	return []string{c.SubjectPrefix + "." + shardToken(shard(id)) + ".>", c.SubjectPrefix + ".*"}
}

// Record is one delivery attempt of an event to a function. Its JSON form
// is the stored message and the API's answer.
type Record struct {
	// Function that was delivered the event.
	Function string `json:"function"`
	// EventID, Type and Source are the event's attributes (empty when the
	// message was not a valid CloudEvent).
	EventID string `json:"eventId,omitempty"`
	Type    string `json:"type,omitempty"`
	Source  string `json:"source,omitempty"`
	// Stream, Seq and Subject are where the event is stored.
	Stream  string `json:"stream,omitempty"`
	Seq     uint64 `json:"seq,omitempty"`
	Subject string `json:"subject,omitempty"`
	// Attempt is the delivery attempt, 1 for the first.
	Attempt uint64 `json:"attempt"`
	// Outcome is ok, retry or deadletter (workers.Outcome*).
	Outcome string `json:"outcome"`
	// Duration is how long the delivery took, handler and settling.
	Duration Duration `json:"duration"`
	// Error is the handler's error, at most MaxError bytes.
	Error string `json:"error,omitempty"`
	// TraceID is the W3C trace id of the delivery (hex), when traced.
	TraceID string `json:"traceId,omitempty"`
	// Replica is the replica that handled the attempt.
	Replica string `json:"replica,omitempty"`
	// Time is when the attempt started.
	Time time.Time `json:"time"`
	// HistorySeq is the sequence of the message holding the record in the
	// history stream (set when read back, not stored).
	HistorySeq uint64 `json:"historySeq,omitempty"`
}
