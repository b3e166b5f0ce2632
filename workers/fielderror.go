package workers

import (
	"errors"
	"strconv"
	"strings"
)

// FieldError is one setting of a Config that breaks a rule. Its text reads
// "path: rule", for example "delivery.retry: must be between 0 and 100".
// Paths use the names the mesh file gives the settings, so the mesh loader
// can report the error at the field's position.
type FieldError struct {
	// Path names the setting from the root of the Config (or of the filter
	// list, for CompileFilters).
	Path []PathStep
	// Rule says what is wrong.
	Rule string
	// Err is the sentinel the error wraps: ErrInvalidFunction or
	// ErrInvalidFilter.
	Err error
}

// PathStep is one step of a FieldError path: a field or map key, or a list
// index.
type PathStep struct {
	// Key is the field or map key; unused when IsIndex.
	Key string
	// Index is the list index when IsIndex.
	Index int
	// IsIndex tells an index from a key.
	IsIndex bool
}

// Key is a path step naming a field or a map key.
func Key(k string) PathStep { return PathStep{Key: k} }

// Index is a path step naming a list element.
func Index(i int) PathStep { return PathStep{Index: i, IsIndex: true} }

// Error reads "path: rule".
func (e *FieldError) Error() string { return PathString(e.Path) + ": " + e.Rule }

// Unwrap returns the sentinel.
func (e *FieldError) Unwrap() error { return e.Err }

// PathString renders a path as "filters[1].exact.type".
func PathString(p []PathStep) string {
	var b strings.Builder
	for _, s := range p {
		if s.IsIndex {
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.Key)
	}
	return b.String()
}

// FieldErrors lists the *FieldError values err holds, in order, looking
// through wrapped and joined errors. It is how a caller that maps a Config
// from its own file (the mesh loader) reports each problem at its place.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			if e := u.Unwrap(); e != nil {
				walk(e)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// problems collects FieldErrors under a path prefix.
type problems struct {
	errs []error
	err  error // the sentinel of every problem
}

func (p *problems) add(path []PathStep, rule string) {
	p.errs = append(p.errs, &FieldError{Path: path, Rule: rule, Err: p.err})
}

func (p *problems) join() error { return errors.Join(p.errs...) }

// at appends steps to a copy of path.
func at(path []PathStep, steps ...PathStep) []PathStep {
	out := make([]PathStep, 0, len(path)+len(steps))
	return append(append(out, path...), steps...)
}
