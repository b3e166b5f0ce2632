package config

import (
	"fmt"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/history"
)

// History configures the run history: one record per delivery attempt of
// an event to a function, kept in a bounded stream for the API, the CLI and
// the metrics.
type History struct {
	// Enabled records every attempt. Default true.
	Enabled *bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// Stream is the stream name. Default "FNMESH_RUNS".
	Stream string `yaml:"stream,omitempty" json:"stream,omitempty"`
	// SubjectPrefix: the records of function F are stored on
	// "<subjectPrefix>.F". Default "fnmesh.runs".
	SubjectPrefix string `yaml:"subjectPrefix,omitempty" json:"subjectPrefix,omitempty"`
	// MaxAge is how long records are kept. Default 24h.
	MaxAge Duration `yaml:"maxAge,omitempty" json:"maxAge,omitempty"`
	// MaxBytes bounds the stream in bytes; the oldest records go first.
	// Default 268435456 (256 MiB).
	MaxBytes int64 `yaml:"maxBytes,omitempty" json:"maxBytes,omitempty"`
	// Replicas is the number of copies of the history stream on a NATS
	// cluster (1..5). Default: the most replicas among the streams.
	Replicas int `yaml:"replicas,omitempty" json:"replicas,omitempty" jsonschema:"minimum=1,maximum=5"`

	// replicasDefaulted records that Replicas was not given.
	replicasDefaulted bool
}

// On reports whether attempts are recorded.
func (h History) On() bool { return h.Enabled == nil || *h.Enabled }

func (m *Mesh) setHistoryDefaults() {
	h := &m.History
	setString(&h.Stream, history.DefaultStream)
	setString(&h.SubjectPrefix, history.DefaultSubjectPrefix)
	setDuration(&h.MaxAge, history.DefaultMaxAge)
	setInt64(&h.MaxBytes, history.DefaultMaxBytes)
	if h.Replicas == 0 {
		h.Replicas, h.replicasDefaulted = m.StreamReplicas(), true
	}
}

// validateHistory checks the history stream's fields and keeps it apart
// from the event and dead-letter streams.
func (m *Mesh) validateHistory(v *problems) {
	p := fieldPath{}.key("history")
	h := m.History
	if !namePattern.MatchString(h.Stream) {
		v.add(p.key("stream"), "%s", nameRule)
	}
	for _, s := range m.Streams {
		if s.Name == h.Stream {
			v.add(p.key("stream"), "must differ from the event stream %q", s.Name)
		}
	}
	if h.Stream == m.DeadLetter.Stream {
		v.add(p.key("stream"), "must differ from deadLetter.stream %q", h.Stream)
	}
	if err := broker.CheckReplicas(h.Replicas); err != nil {
		v.add(p.key("replicas"), "%v", err)
	}
	if err := broker.CheckLimit(h.MaxBytes); err != nil {
		v.add(p.key("maxBytes"), "%v", err)
	}
	if h.MaxAge < 0 {
		v.add(p.key("maxAge"), "must not be negative")
	}
	if err := broker.CheckSubject(h.SubjectPrefix, false); err != nil {
		v.add(p.key("subjectPrefix"), "%v", err)
		return
	}
	hs := h.SubjectPrefix + ".>"
	others := []string{m.DeadLetter.SubjectPrefix + ".>"}
	for _, s := range m.Streams {
		others = append(others, s.Subjects...)
	}
	for _, o := range others {
		if broker.CheckSubject(o, true) == nil && broker.SubjectsOverlap(o, hs) {
			v.add(p.key("subjectPrefix"), "%s", fmt.Sprintf("records on %q would overlap %q of another stream", hs, o))
			return
		}
	}
}
