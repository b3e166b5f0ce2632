package config

import (
	"fmt"
	"strings"

	"github.com/fnmesh/fnmesh/broker"
)

// subjectOwner remembers which stream field declared a subject.
type subjectOwner struct {
	subject string
	path    fieldPath
}

func (m *Mesh) validateStreams(v *problems) {
	seen := map[string]string{}
	var owners []subjectOwner
	badPrefix := broker.CheckSubject(m.SubjectPrefix, false) != nil
	for i := range m.Streams {
		s := &m.Streams[i]
		p := fieldPath{}.key("streams").index(i)
		checkName(v, p.key("name"), s.Name, seen, fmt.Sprintf("streams[%d].name", i))
		if err := broker.CheckHasSubjects(s.Subjects); err != nil {
			v.add(p.key("subjects"), "%v", err)
		}
		for j, subj := range s.Subjects {
			sp := p.key("subjects").index(j)
			if badPrefix && subj == m.SubjectPrefix+".>" {
				continue // the default stream; subjectPrefix is reported
			}
			if err := broker.CheckSubject(subj, true); err != nil {
				v.add(sp, "%v", err)
				continue
			}
			for _, o := range owners {
				if broker.SubjectsOverlap(o.subject, subj) {
					v.add(sp, "overlaps %q of %s (a subject can belong to one stream only)", o.subject, o.path)
					break
				}
			}
			owners = append(owners, subjectOwner{subject: subj, path: sp})
		}
		// The rules of a stream's fields are the broker's.
		check := func(field string, err error) {
			if err != nil {
				v.add(p.key(field), "%v", err)
			}
		}
		check("replicas", broker.CheckReplicas(s.Replicas))
		check("storage", broker.CheckStorage(broker.Storage(s.Storage)))
		if s.Sync != "default" && s.Sync != "always" {
			v.add(p.key("sync"), "%s", oneOfRule("default", "always"))
		}
		check("maxBytes", broker.CheckLimit(s.MaxBytes))
		check("maxMsgs", broker.CheckLimit(s.MaxMsgs))
		check("maxMsgsPerSubject", broker.CheckLimit(s.MaxMsgsPerSubject))
		check("discard", broker.CheckDiscard(broker.Discard(s.Discard)))
		check("duplicateWindow", broker.CheckDuplicateWindow(s.DuplicateWindow.D(), s.MaxAge.D()))
		check("schedules", broker.CheckSchedules(s.Schedules, broker.Discard(s.Discard),
			s.MaxMsgs > 0 || s.MaxBytes > 0 || s.MaxMsgsPerSubject > 0))
		check("maxDelay", broker.CheckMaxDelay(s.MaxDelay.D(), s.MaxAge.D()))
		if s.MaxDelay.D() > 0 && !s.Schedules {
			v.add(p.key("maxDelay"), "needs schedules: true")
		}
	}
	m.validateDeadLetterSubjects(v, seen, owners)
}

func (m *Mesh) validateDeadLetter(v *problems) {
	p := fieldPath{}.key("deadLetter")
	if !namePattern.MatchString(m.DeadLetter.Stream) {
		v.add(p.key("stream"), "%s", nameRule)
	}
	if err := broker.CheckSubject(m.DeadLetter.SubjectPrefix, false); err != nil {
		v.add(p.key("subjectPrefix"), "%v", err)
	}
	if err := broker.CheckReplicas(m.DeadLetter.Replicas); err != nil {
		v.add(p.key("replicas"), "%v", err)
	}
}

// validateDeadLetterSubjects keeps the dead-letter stream apart from the
// event streams: its own name, and subjects no event stream captures.
func (m *Mesh) validateDeadLetterSubjects(v *problems, streamNames map[string]string, owners []subjectOwner) {
	p := fieldPath{}.key("deadLetter")
	if first, dup := streamNames[m.DeadLetter.Stream]; dup {
		v.add(p.key("stream"), "must differ from the event streams (%q is used at %s)", m.DeadLetter.Stream, first)
	}
	if broker.CheckSubject(m.DeadLetter.SubjectPrefix, false) != nil {
		return
	}
	dl := m.DeadLetter.SubjectPrefix + ".>"
	for _, o := range owners {
		if broker.SubjectsOverlap(o.subject, dl) {
			v.add(p.key("subjectPrefix"), "dead letters on %q would overlap %q of %s", dl, o.subject, o.path)
			return
		}
	}
	if broker.CheckSubject(m.SubjectPrefix, false) == nil && broker.SubjectsOverlap(m.SubjectPrefix+".>", dl) {
		v.add(p.key("subjectPrefix"), "must differ from subjectPrefix %q", m.SubjectPrefix)
	}
}

// Warnings are what the mesh allows but may not mean, one line each
// naming the field: a discard-old stream with limits, which removes events
// before every function processed them once a producer outruns its
// functions (their 202 was sent already); a function on a stream that
// captures subjects outside the subject prefix.
func (m *Mesh) Warnings() []string {
	out := m.outsidePrefixWarnings()
	for i, s := range m.Streams {
		if s.Discard != string(broker.DiscardOld) {
			continue
		}
		var limits []string
		for _, l := range []struct {
			name string
			v    int64
		}{{"maxMsgs", s.MaxMsgs}, {"maxBytes", s.MaxBytes}, {"maxMsgsPerSubject", s.MaxMsgsPerSubject}} {
			if l.v > 0 {
				limits = append(limits, fmt.Sprintf("%s %d", l.name, l.v))
			}
		}
		if len(limits) > 0 {
			out = append(out, fmt.Sprintf("streams[%d] (%s).discard: old with %s: an event can be removed before every function processed it; discard: new refuses new events instead (429)",
				i, s.Name, strings.Join(limits, ", ")))
		}
	}
	return out
}

// outsidePrefixWarnings names the functions whose stream captures subjects
// outside "<subjectPrefix>.>": fnmesh stores an event of type T on
// "<subjectPrefix>.T", so the events on those subjects come from other
// publishers, and the function's consumer reads the whole stream (no
// server-side filter is derived from its type filters) with its filters
// evaluated on each event.
func (m *Mesh) outsidePrefixWarnings() []string {
	prefix := m.SubjectPrefix
	if prefix == "" {
		prefix = DefaultSubjectPrefix
	}
	var out []string
	for i := range m.Functions {
		fn := &m.Functions[i]
		s := m.StreamFor(fn)
		if s == nil {
			continue
		}
		var outside []string
		for _, subj := range s.Subjects {
			if !strings.HasPrefix(subj, prefix+".") {
				outside = append(outside, subj)
			}
		}
		if len(outside) == 0 {
			continue
		}
		what := "events fnmesh ingests reach it only on its other subjects"
		if len(outside) == len(s.Subjects) {
			what = "no event fnmesh ingests is stored there"
		}
		out = append(out, fmt.Sprintf("functions[%d] (%s): stream %s captures %s, outside subjectPrefix %q (events are stored on %s.<type>): %s; the function reads the whole stream and its filters are evaluated on each event",
			i, fn.Name, s.Name, strings.Join(outside, ", "), prefix, prefix, what))
	}
	return out
}
