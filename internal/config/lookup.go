package config

import (
	"path/filepath"

	"github.com/fnmesh/fnmesh/broker"
)

// Function returns the function called name.
func (m *Mesh) Function(name string) (*Function, bool) {
	for i := range m.Functions {
		if m.Functions[i].Name == name {
			return &m.Functions[i], true
		}
	}
	return nil, false
}

// Stream returns the stream called name.
func (m *Mesh) Stream(name string) (*Stream, bool) {
	for i := range m.Streams {
		if m.Streams[i].Name == name {
			return &m.Streams[i], true
		}
	}
	return nil, false
}

// StreamFor returns the stream fn consumes from: the one it names, else the
// default stream (the first whose subjects capture "<subjectPrefix>.>", else
// the first stream). It returns nil when the mesh declares no stream or fn
// names one that does not exist (Validate reports both).
func (m *Mesh) StreamFor(fn *Function) *Stream {
	if fn != nil && fn.Stream != "" {
		s, _ := m.Stream(fn.Stream)
		return s
	}
	return m.defaultStream()
}

// defaultStream is the stream of functions that name none.
func (m *Mesh) defaultStream() *Stream {
	prefix := m.SubjectPrefix
	if prefix == "" {
		prefix = DefaultSubjectPrefix
	}
	all := prefix + ".>"
	for i := range m.Streams {
		for _, subj := range m.Streams[i].Subjects {
			if broker.SubjectContains(subj, all) {
				return &m.Streams[i]
			}
		}
	}
	if len(m.Streams) > 0 {
		return &m.Streams[0]
	}
	return nil
}

// Resolve returns path relative to the directory of the mesh file (or path
// itself when it is absolute or the mesh was not loaded from a file).
// Resolve("") is the mesh file's directory, the default working directory
// of local functions.
func (m *Mesh) Resolve(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	dir := "."
	if m.File != "" {
		dir = filepath.Dir(m.File)
	}
	return filepath.Join(dir, path)
}
