package workers

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	cesql "github.com/cloudevents/sdk-go/sql/v2"
	cesqlparser "github.com/cloudevents/sdk-go/sql/v2/parser"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/internal/config"
)

// ErrInvalidFilter means a filter of a function cannot be compiled; the
// error names the filter by its path (for example "filters[1].any[0].cesql")
// and the rule it breaks.
var ErrInvalidFilter = errors.New("invalid filter")

// maxFilterDepth bounds how deeply all, any and not may nest.
const maxFilterDepth = 32

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
// Exactly one dialect is set per filter; values of exact, prefix and suffix
// must not be empty. Errors wrap ErrInvalidFilter.
func CompileFilters(fs []config.Filter) (Filter, error) {
	if len(fs) == 0 {
		return Filter{}, nil
	}
	nodes := make(allNode, 0, len(fs))
	var errs []error
	for i := range fs {
		n, err := compile(&fs[i], fmt.Sprintf("filters[%d]", i), 0)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		nodes = append(nodes, n)
	}
	if len(errs) > 0 {
		return Filter{}, errors.Join(errs...)
	}
	if len(nodes) == 1 {
		return Filter{root: nodes[0]}, nil
	}
	return Filter{root: nodes}, nil
}

// filterError builds an error naming the filter at path.
func filterError(path, format string, args ...any) error {
	return fmt.Errorf("workers: %s: %s: %w", path, fmt.Sprintf(format, args...), ErrInvalidFilter)
}

// compile turns one filter into a node.
func compile(f *config.Filter, path string, depth int) (node, error) {
	if depth > maxFilterDepth {
		return nil, filterError(path, "filters must not nest deeper than %d levels", maxFilterDepth)
	}
	var set []string
	if f.Exact != nil {
		set = append(set, "exact")
	}
	if f.Prefix != nil {
		set = append(set, "prefix")
	}
	if f.Suffix != nil {
		set = append(set, "suffix")
	}
	if f.All != nil {
		set = append(set, "all")
	}
	if f.Any != nil {
		set = append(set, "any")
	}
	if f.Not != nil {
		set = append(set, "not")
	}
	if f.CESQL != "" {
		set = append(set, "cesql")
	}
	if len(set) != 1 {
		found := "none"
		if len(set) > 1 {
			found = strings.Join(set, ", ")
		}
		return nil, filterError(path, "exactly one of exact, prefix, suffix, all, any, not or cesql must be set (found %s)", found)
	}
	switch set[0] {
	case "exact":
		return compileAttrs(opExact, f.Exact, path+".exact")
	case "prefix":
		return compileAttrs(opPrefix, f.Prefix, path+".prefix")
	case "suffix":
		return compileAttrs(opSuffix, f.Suffix, path+".suffix")
	case "all":
		n, err := compileList(f.All, path+".all", depth)
		return allNode(n), err
	case "any":
		n, err := compileList(f.Any, path+".any", depth)
		return anyNode(n), err
	case "not":
		n, err := compile(f.Not, path+".not", depth+1)
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	default:
		return compileCESQL(f.CESQL, path+".cesql")
	}
}

// compileList compiles the members of all or any.
func compileList(fs []config.Filter, path string, depth int) ([]node, error) {
	if len(fs) == 0 {
		return nil, filterError(path, "must list at least one filter")
	}
	nodes := make([]node, 0, len(fs))
	var errs []error
	for i := range fs {
		n, err := compile(&fs[i], fmt.Sprintf("%s[%d]", path, i), depth+1)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		nodes = append(nodes, n)
	}
	return nodes, errors.Join(errs...)
}

// compileAttrs compiles exact, prefix and suffix.
func compileAttrs(op attrOp, attrs map[string]string, path string) (node, error) {
	if len(attrs) == 0 {
		return nil, filterError(path, "must name at least one attribute")
	}
	n := attrNode{op: op, tests: make([]attrTest, 0, len(attrs))}
	var errs []error
	for name, want := range attrs {
		switch {
		case !isAttributeName(name):
			errs = append(errs, filterError(path+"."+name, "must be a CloudEvents attribute name (lower-case letters and digits)"))
		case want == "":
			errs = append(errs, filterError(path+"."+name, "the value must not be empty"))
		default:
			n.tests = append(n.tests, attrTest{name: name, want: want})
		}
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return nil, errors.Join(errs...)
	}
	// A fixed order keeps evaluation (and its cost) the same for every event.
	slices.SortFunc(n.tests, func(a, b attrTest) int { return strings.Compare(a.name, b.name) })
	return n, nil
}

// compileCESQL parses a CloudEvents SQL expression. The parser is generated
// code; a panic on odd input is reported as a parse error.
func compileCESQL(src, path string) (n node, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = nil, filterError(path, "not a valid CloudEvents SQL expression: parser failed: %v", r)
		}
	}()
	expr, err := cesqlparser.Parse(src)
	if err != nil {
		return nil, filterError(path, "not a valid CloudEvents SQL expression: %v", err)
	}
	if expr == nil {
		return nil, filterError(path, "not a valid CloudEvents SQL expression: empty")
	}
	return cesqlNode{src: src, expr: expr}, nil
}

// isAttributeName reports whether s is a CloudEvents attribute name.
func isAttributeName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// node is one compiled filter.
type node interface {
	match(e *event.Event) (bool, error)
}

type (
	allNode []node
	anyNode []node
	notNode struct{ n node }
)

func (a allNode) match(e *event.Event) (bool, error) {
	for _, n := range a {
		if ok, err := n.match(e); !ok {
			return false, err
		}
	}
	return true, nil
}

func (a anyNode) match(e *event.Event) (bool, error) {
	var first error
	for _, n := range a {
		ok, err := n.match(e)
		if ok {
			return true, nil
		}
		if first == nil {
			first = err
		}
	}
	return false, first
}

func (n notNode) match(e *event.Event) (bool, error) {
	ok, err := n.n.match(e)
	return !ok, err
}

// attrOp is the comparison of an exact, prefix or suffix filter.
type attrOp uint8

const (
	opExact attrOp = iota
	opPrefix
	opSuffix
)

type attrTest struct{ name, want string }

type attrNode struct {
	op    attrOp
	tests []attrTest
}

func (a attrNode) match(e *event.Event) (bool, error) {
	for _, t := range a.tests {
		got, ok := attributeValue(e, t.name)
		if !ok {
			return false, nil
		}
		switch a.op {
		case opExact:
			ok = got == t.want
		case opPrefix:
			ok = strings.HasPrefix(got, t.want)
		case opSuffix:
			ok = strings.HasSuffix(got, t.want)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

type cesqlNode struct {
	src  string
	expr cesql.Expression
}

func (c cesqlNode) match(e *event.Event) (matched bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			matched, err = false, fmt.Errorf("cesql %q: evaluation failed: %v", c.src, r)
		}
	}()
	v, err := c.expr.Evaluate(*e)
	if err != nil {
		return false, fmt.Errorf("cesql %q: %w", c.src, err)
	}
	switch v := v.(type) {
	case bool:
		return v, nil
	case int32:
		return v != 0, nil
	case string:
		switch strings.ToLower(v) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, fmt.Errorf("cesql %q: result %v (%T) is not a Boolean", c.src, v, v)
}
