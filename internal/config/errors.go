package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/token"
)

// ErrInvalid is wrapped by every error that is about the content of a mesh
// file: YAML syntax, unknown fields, wrong types and broken rules.
var ErrInvalid = errors.New("invalid mesh file")

// ErrSyntax is wrapped (together with ErrInvalid) by errors for text that is
// not well-formed YAML.
var ErrSyntax = errors.New("yaml syntax error")

// ErrUnknownField is wrapped (together with ErrInvalid) by errors for a key
// the mesh file format does not know.
var ErrUnknownField = errors.New("unknown field")

// FieldError is one problem with a mesh file. Its text reads
// "file:line:column: field.path: rule"; the position is left out when it is
// unknown (Validate on a Mesh built in code) and the path when the problem is
// not about one field (a YAML syntax error).
type FieldError struct {
	// File is the name the mesh was parsed under.
	File string
	// Line and Column locate the problem in File, both from 1; 0 when unknown.
	Line, Column int
	// Path names the field, e.g. "functions[0].delivery.backoffPolicy".
	Path string
	// Rule says what is wrong, e.g. "must be one of exponential, linear".
	Rule string

	segs  fieldPath
	cause error
}

// Error formats the problem as "file:line:column: path: rule".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%d:%d", e.Line, e.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Rule)
	return b.String()
}

// Unwrap returns ErrInvalid and, for decoding problems, the more precise
// sentinel and the underlying YAML error.
func (e *FieldError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrInvalid}
	}
	return []error{ErrInvalid, e.cause}
}

// nodeError is returned by decoding hooks (Duration) that know the YAML
// token a problem is at, so that Parse can report its position.
type nodeError struct {
	tok  *token.Token
	rule string
}

func (e *nodeError) Error() string { return e.rule }

// pathSeg is one step of a field path: a mapping key or a sequence index.
type pathSeg struct {
	key   string
	index int
	isIdx bool
}

// fieldPath is the path of a field from the document root.
type fieldPath []pathSeg

// key returns a new path with k appended.
func (p fieldPath) key(k string) fieldPath {
	out := make(fieldPath, len(p), len(p)+1)
	copy(out, p)
	return append(out, pathSeg{key: k})
}

// index returns a new path with i appended.
func (p fieldPath) index(i int) fieldPath {
	out := make(fieldPath, len(p), len(p)+1)
	copy(out, p)
	return append(out, pathSeg{index: i, isIdx: true})
}

// String renders the path as "functions[0].delivery.retry"; keys that are not
// plain identifiers are quoted: `exact["my.attr"]`.
func (p fieldPath) String() string {
	var b strings.Builder
	for _, s := range p {
		switch {
		case s.isIdx:
			fmt.Fprintf(&b, "[%d]", s.index)
		case plainKey(s.key):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		default:
			b.WriteString("[" + strconv.Quote(s.key) + "]")
		}
	}
	return b.String()
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

// problems collects validation errors in the order they are found.
type problems struct {
	errs []*FieldError
}

func (v *problems) add(p fieldPath, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Path: p.String(), Rule: fmt.Sprintf(format, args...), segs: p})
}

// join returns the collected errors as one error (nil when there are none).
func (v *problems) join() error {
	if len(v.errs) == 0 {
		return nil
	}
	errs := make([]error, len(v.errs))
	for i, e := range v.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// FieldErrors lists the *FieldError values err holds (itself, or joined),
// in order; nil when it holds none.
func FieldErrors(err error) []*FieldError {
	if fe, ok := err.(*FieldError); ok {
		return []*FieldError{fe}
	}
	var out []*FieldError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if f, ok := e.(*FieldError); ok {
				out = append(out, f)
			}
		}
	}
	return out
}
