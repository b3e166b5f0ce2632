package config

import "fmt"

// subjectOwner remembers which stream field declared a subject.
type subjectOwner struct {
	subject string
	path    fieldPath
}

func (m *Mesh) validateStreams(v *problems) {
	seen := map[string]string{}
	var owners []subjectOwner
	badPrefix := checkSubject(m.SubjectPrefix, false) != nil
	for i := range m.Streams {
		s := &m.Streams[i]
		p := fieldPath{}.key("streams").index(i)
		checkName(v, p.key("name"), s.Name, seen, fmt.Sprintf("streams[%d].name", i))
		if len(s.Subjects) == 0 {
			v.add(p.key("subjects"), "must list at least one subject")
		}
		for j, subj := range s.Subjects {
			sp := p.key("subjects").index(j)
			if badPrefix && subj == m.SubjectPrefix+".>" {
				continue // the default stream; subjectPrefix is reported
			}
			if err := checkSubject(subj, true); err != nil {
				v.add(sp, "%v", err)
				continue
			}
			for _, o := range owners {
				if subjectsOverlap(o.subject, subj) {
					v.add(sp, "overlaps %q of %s (a subject can belong to one stream only)", o.subject, o.path)
					break
				}
			}
			owners = append(owners, subjectOwner{subject: subj, path: sp})
		}
		if s.Replicas < 1 || s.Replicas > 5 {
			v.add(p.key("replicas"), "must be between 1 and 5")
		}
		if s.Storage != "file" && s.Storage != "memory" {
			v.add(p.key("storage"), "%s", oneOfRule("file", "memory"))
		}
		if s.Sync != "default" && s.Sync != "always" {
			v.add(p.key("sync"), "%s", oneOfRule("default", "always"))
		}
		if s.MaxBytes < 0 {
			v.add(p.key("maxBytes"), "must not be negative (0 means unlimited)")
		}
		if s.MaxMsgs < 0 {
			v.add(p.key("maxMsgs"), "must not be negative (0 means unlimited)")
		}
		if s.DuplicateWindow <= 0 {
			v.add(p.key("duplicateWindow"), "must be positive")
		} else if s.MaxAge > 0 && s.DuplicateWindow > s.MaxAge {
			v.add(p.key("duplicateWindow"), "must not be longer than maxAge (%s)", s.MaxAge)
		}
	}
	m.validateDeadLetterSubjects(v, seen, owners)
}

func (m *Mesh) validateDeadLetter(v *problems) {
	p := fieldPath{}.key("deadLetter")
	if !namePattern.MatchString(m.DeadLetter.Stream) {
		v.add(p.key("stream"), "%s", nameRule)
	}
	if err := checkSubject(m.DeadLetter.SubjectPrefix, false); err != nil {
		v.add(p.key("subjectPrefix"), "%v", err)
	}
}

// validateDeadLetterSubjects keeps the dead-letter stream apart from the
// event streams: its own name, and subjects no event stream captures.
func (m *Mesh) validateDeadLetterSubjects(v *problems, streamNames map[string]string, owners []subjectOwner) {
	p := fieldPath{}.key("deadLetter")
	if first, dup := streamNames[m.DeadLetter.Stream]; dup {
		v.add(p.key("stream"), "must differ from the event streams (%q is used at %s)", m.DeadLetter.Stream, first)
	}
	if checkSubject(m.DeadLetter.SubjectPrefix, false) != nil {
		return
	}
	dl := m.DeadLetter.SubjectPrefix + ".>"
	for _, o := range owners {
		if subjectsOverlap(o.subject, dl) {
			v.add(p.key("subjectPrefix"), "dead letters on %q would overlap %q of %s", dl, o.subject, o.path)
			return
		}
	}
	if checkSubject(m.SubjectPrefix, false) == nil && subjectsOverlap(m.SubjectPrefix+".>", dl) {
		v.add(p.key("subjectPrefix"), "must differ from subjectPrefix %q", m.SubjectPrefix)
	}
}
