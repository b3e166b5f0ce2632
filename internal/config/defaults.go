package config

import (
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/triggers"
	"github.com/fnmesh/fnmesh/triggers/webhook"
)

// Default values, as documented on the fields they apply to. The subject
// prefix and the dead-letter names are the broker's own defaults, the
// ingest, route, cron and webhook defaults the triggers' own; the
// stream fields (replicas, storage, duplicateWindow) are written here only:
// the broker passes a zero field to the server as it is.
const (
	DefaultSubjectPrefix       = broker.DefaultSubjectPrefix
	DefaultStream              = "EVENTS"
	DefaultDeadLetterStream    = broker.DefaultDeadLetterStream
	DefaultDeadLetterPrefix    = broker.DefaultDeadLetterPrefix
	DefaultDeadLetterMaxAge    = 720 * time.Hour
	DefaultIngestPath          = triggers.DefaultIngestPath
	DefaultMaxBodyBytes        = triggers.DefaultMaxBodyBytes
	DefaultMaxInFlight         = triggers.DefaultMaxInFlight
	DefaultDuplicateWindow     = 2 * time.Minute
	DefaultMaxCatchUp          = triggers.DefaultMaxCatchUp
	DefaultCronContentType     = triggers.DefaultCronContentType
	DefaultReplyTimeout        = triggers.DefaultReplyTimeout
	DefaultWebhookTolerance    = webhook.DefaultTolerance
	DefaultTriggerSourcePrefix = triggers.DefaultSourcePrefix
)

// SetDefaults fills every field the mesh file format itself defaults (not
// the components' settings of a function: see Components). Explicit values
// are kept; fields where zero is meaningful are pointers. Calling it twice
// is harmless.
func (m *Mesh) SetDefaults() {
	if m.SubjectPrefix == "" {
		m.SubjectPrefix = DefaultSubjectPrefix
	}
	if len(m.Streams) == 0 {
		m.Streams = []Stream{{Name: DefaultStream, Subjects: []string{m.SubjectPrefix + ".>"}}}
	}
	for i := range m.Streams {
		m.Streams[i].setDefaults()
	}
	setString(&m.DeadLetter.Stream, DefaultDeadLetterStream)
	setString(&m.DeadLetter.SubjectPrefix, DefaultDeadLetterPrefix)
	setDuration(&m.DeadLetter.MaxAge, DefaultDeadLetterMaxAge)
	if m.DeadLetter.Replicas == 0 {
		m.DeadLetter.Replicas, m.DeadLetter.replicasDefaulted = m.StreamReplicas(), true
	}
	m.setHistoryDefaults()
	setString(&m.Ingest.Path, DefaultIngestPath)
	setInt64(&m.Ingest.MaxBodyBytes, DefaultMaxBodyBytes)
	setInt(&m.Ingest.MaxInFlight, DefaultMaxInFlight)
	for i := range m.Triggers {
		m.Triggers[i].setDefaults()
	}
	defaultStream := m.defaultStream()
	for i := range m.Functions {
		fn := &m.Functions[i]
		if fn.Stream == "" && defaultStream != nil {
			fn.Stream = defaultStream.Name
		}
		fn.setDefaults()
	}
}

// StreamReplicas is the most replicas among the streams of m (1 when none
// says more, and never more than a stream may have): the copies fnmesh keeps of its own state on a cluster (the
// dead-letter stream by default, the key-value buckets), so that it
// survives what the events survive.
func (m *Mesh) StreamReplicas() int {
	n := 1
	for _, s := range m.Streams {
		n = max(n, s.Replicas)
	}
	return min(n, broker.MaxReplicas)
}

func (s *Stream) setDefaults() {
	if s.Replicas == 0 {
		s.Replicas, s.replicasDefaulted = 1, true
	}
	setString(&s.Storage, "file")
	setString(&s.Sync, "default")
	if s.DuplicateWindow == 0 {
		s.DuplicateWindow = Duration(DefaultDuplicateWindow)
		if s.MaxAge > 0 && s.MaxAge < s.DuplicateWindow {
			s.DuplicateWindow = s.MaxAge
		}
	}
}

func (t *Trigger) setDefaults() {
	setString(&t.Emit.Source, DefaultTriggerSourcePrefix+t.Name)
	if h := t.HTTP; h != nil {
		setString(&h.Method, "POST")
		if h.Reply != nil {
			setDuration(&h.Reply.Timeout, DefaultReplyTimeout)
		}
	}
	if c := t.Cron; c != nil {
		setString(&c.Timezone, triggers.DefaultCronTimezone)
		setString(&c.MissedRuns, "skip")
		setInt(&c.MaxCatchUp, DefaultMaxCatchUp)
		setString(&c.ContentType, DefaultCronContentType)
	}
	if w := t.Webhook; w != nil {
		setDuration(&w.Tolerance, DefaultWebhookTolerance)
		if w.HMAC != nil {
			setString(&w.HMAC.Algorithm, "sha256")
			setString(&w.HMAC.Encoding, "hex")
		}
	}
}

// setDefaults fills what the mesh itself decides about a function: the
// runtime it asks for. Its consume and scaling settings take the defaults
// of the components that own them (see Components).
func (fn *Function) setDefaults() {
	if fn.Run.Runtime == "" {
		fn.Run.Runtime = "process"
		if fn.Run.Image != "" {
			fn.Run.Runtime = "docker"
		}
	}
}

func setString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func setInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

func setInt64(p *int64, v int64) {
	if *p == 0 {
		*p = v
	}
}

func setDuration(p *Duration, v time.Duration) {
	if *p == 0 {
		*p = Duration(v)
	}
}
