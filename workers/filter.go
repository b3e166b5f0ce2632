package workers

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
)

// ErrInvalidFilter means a filter of a function cannot be compiled; the
// error names the filter by its path (for example "filters[1].any[0].cesql")
// and the rule it breaks.
var ErrInvalidFilter = errors.New("invalid filter")

// maxFilterDepth bounds how deeply all, any and not may nest.
const maxFilterDepth = 16

// maxAttributeName is the longest attribute name a filter may test (the
// CloudEvents spec's SHOULD, enforced).
const maxAttributeName = 20

// FilterSpec is one Knative-style filter as a function declares it. Exactly
// one field is set.
type FilterSpec struct {
	// Exact matches when every named attribute equals the value.
	Exact map[string]string
	// Prefix matches when every named attribute starts with the value.
	Prefix map[string]string
	// Suffix matches when every named attribute ends with the value.
	Suffix map[string]string
	// All matches when every nested filter matches.
	All []FilterSpec
	// Any matches when at least one nested filter matches.
	Any []FilterSpec
	// Not matches when the nested filter does not.
	Not *FilterSpec
	// CESQL is a CloudEvents SQL expression that must evaluate to true.
	CESQL string
}

// Filter is a compiled list of Knative-style filters. The zero Filter, like
// an empty list, matches every event. A Filter is immutable and safe for
// concurrent use.
type Filter struct {
	root node
}

// Match reports whether e passes every filter. A CloudEvents SQL expression
// that fails to evaluate (a missing attribute, a failed cast) counts as not
// matching; the first such failure is returned as err for logging, and
// matched is meaningful either way.
func (f Filter) Match(e *event.Event) (matched bool, err error) {
	if f.root == nil {
		return true, nil
	}
	if e == nil || e.Context == nil {
		return false, errors.New("event has no context")
	}
	return f.root.match(e)
}

// CompileFilters compiles a function's filters (all must match) once:
// CloudEvents SQL expressions are parsed here, not per event.
//
// The dialects are those of Knative Eventing:
//
//   - exact, prefix, suffix: every named attribute (a context attribute or
//     an extension, compared by its canonical string form) equals, starts
//     with or ends with the given value; a missing attribute does not match;
//   - all: every nested filter matches; any: at least one does; not: the
//     nested filter does not;
//   - cesql: a CloudEvents SQL expression that evaluates to true (its result
//     is cast to Boolean).
//
// Exactly one dialect is set per filter; attribute names are CloudEvents
// names of 1 to 20 lower-case letters or digits and values must not be
// empty; filters nest at most 16 levels. The error joins one *FieldError
// per broken rule, with paths from "filters[i]"; each wraps
// ErrInvalidFilter.
func CompileFilters(fs []FilterSpec) (Filter, error) {
	if len(fs) == 0 {
		return Filter{}, nil
	}
	p := &problems{err: ErrInvalidFilter}
	nodes := make(allNode, 0, len(fs))
	for i := range fs {
		if n := compile(p, &fs[i], []PathStep{Key("filters"), Index(i)}, 0); n != nil {
			nodes = append(nodes, n)
		}
	}
	if err := p.join(); err != nil {
		return Filter{}, err
	}
	if len(nodes) == 1 {
		return Filter{root: nodes[0]}, nil
	}
	return Filter{root: nodes}, nil
}

// dialects names the dialects set on f, in declaration order.
func dialects(f *FilterSpec) []string {
	var set []string
	for _, d := range []struct {
		name string
		on   bool
	}{
		{"exact", f.Exact != nil}, {"prefix", f.Prefix != nil}, {"suffix", f.Suffix != nil},
		{"all", f.All != nil}, {"any", f.Any != nil}, {"not", f.Not != nil}, {"cesql", f.CESQL != ""},
	} {
		if d.on {
			set = append(set, d.name)
		}
	}
	return set
}

// compile turns one filter into a node, reporting what is wrong to p (and
// returning nil then). A filter with several dialects is reported once and
// each dialect is still checked, so every problem is found in one pass.
func compile(p *problems, f *FilterSpec, path []PathStep, depth int) node {
	if depth > maxFilterDepth {
		p.add(path, fmt.Sprintf("filters must not nest deeper than %d levels", maxFilterDepth))
		return nil
	}
	before := len(p.errs)
	set := dialects(f)
	if len(set) != 1 {
		found := "none"
		if len(set) > 1 {
			found = strings.Join(set, ", ")
		}
		p.add(path, "exactly one of exact, prefix, suffix, all, any, not or cesql must be set (found "+found+")")
	}
	var n node
	if f.Exact != nil {
		n = compileAttrs(p, opExact, f.Exact, at(path, Key("exact")))
	}
	if f.Prefix != nil {
		n = compileAttrs(p, opPrefix, f.Prefix, at(path, Key("prefix")))
	}
	if f.Suffix != nil {
		n = compileAttrs(p, opSuffix, f.Suffix, at(path, Key("suffix")))
	}
	if f.All != nil {
		n = allNode(compileList(p, f.All, at(path, Key("all")), depth))
	}
	if f.Any != nil {
		n = anyNode(compileList(p, f.Any, at(path, Key("any")), depth))
	}
	if f.Not != nil {
		if nn := compile(p, f.Not, at(path, Key("not")), depth+1); nn != nil {
			n = notNode{nn}
		}
	}
	if f.CESQL != "" {
		if expr, err := parseCESQL(f.CESQL); err != nil {
			p.add(at(path, Key("cesql")), "not a valid CloudEvents SQL expression: "+err.Error())
		} else {
			n = cesqlNode{src: f.CESQL, expr: expr}
		}
	}
	if len(p.errs) > before {
		return nil
	}
	return n
}

// compileList compiles the members of all or any.
func compileList(p *problems, fs []FilterSpec, path []PathStep, depth int) []node {
	if len(fs) == 0 {
		p.add(path, "must list at least one filter")
		return nil
	}
	nodes := make([]node, 0, len(fs))
	for i := range fs {
		if n := compile(p, &fs[i], at(path, Index(i)), depth+1); n != nil {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// compileAttrs compiles exact, prefix and suffix.
func compileAttrs(p *problems, op attrOp, attrs map[string]string, path []PathStep) node {
	if len(attrs) == 0 {
		p.add(path, "must name at least one attribute")
		return nil
	}
	n := attrNode{op: op, tests: make([]attrTest, 0, len(attrs))}
	// A fixed order keeps the errors, evaluation and its cost the same
	// every time.
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		switch want := attrs[name]; {
		case !isAttributeName(name):
			p.add(at(path, Key(name)), "must be a CloudEvents attribute name (1-20 lower-case letters or digits)")
		case want == "":
			p.add(at(path, Key(name)), "the value must not be empty")
		default:
			n.tests = append(n.tests, attrTest{name: name, want: want})
		}
	}
	return n
}

// isAttributeName reports whether s is a CloudEvents attribute name.
func isAttributeName(s string) bool {
	if s == "" || len(s) > maxAttributeName {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
