package workers

import (
	"slices"
	"testing"

	"github.com/fnmesh/fnmesh/broker"
)

// FuzzCompileFilters feeds filters from a mesh file: compiling never
// panics, a failure wraps ErrInvalidFilter, and a compiled filter evaluates
// any event without panicking.
func FuzzCompileFilters(f *testing.F) {
	for _, s := range []struct{ cesql, attr, val string }{
		{"source LIKE '/shop/%'", "type", "com.example.order.created"},
		{"priority > 2 AND EXISTS tenant", "tenant", "acme"},
		{"ABS(priority) = 1 OR type IN ('a', 'b')", "subject", "x"},
		{"CONCAT(id, source) LIKE '%a\\%b_'", "Type", ""},
		{"(((", "", "v"},
		{"'unterminated", "time", "2025-01-01T00:00:00Z"},
		{"NOT true", "specversion", "1.0"},
	} {
		f.Add(s.cesql, s.attr, s.val, "com.example.order.created", "/shop/api")
	}
	f.Fuzz(func(t *testing.T, cesql, attr, val, typ, source string) {
		filters := []FilterSpec{
			{Any: []FilterSpec{
				{Exact: map[string]string{attr: val}},
				{Not: &FilterSpec{Prefix: map[string]string{attr: val}}},
			}},
			{Suffix: map[string]string{attr: val}},
		}
		if cesql != "" {
			filters = append(filters, FilterSpec{CESQL: cesql})
		}
		fl, err := CompileFilters(filters)
		if err != nil {
			if !errorsIsInvalidFilter(err) {
				t.Fatalf("error does not wrap ErrInvalidFilter: %v", err)
			}
			return
		}
		e := testEvent("1", "t", "/s", "tenant", "acme", "priority", int32(3))
		if typ != "" {
			e.SetType(typ)
		}
		if source != "" {
			e.SetSource(source)
		}
		_, _ = fl.Match(e)
	})
}

// FuzzFilterSubjectsSuperset checks the server-side filter against the
// worker-side one: an event whose type the filters accept is always on one
// of the derived subjects.
func FuzzFilterSubjectsSuperset(f *testing.F) {
	f.Add("com.example.order.created", "com.example.", "com.example.order.created")
	f.Add("a..b", "a..", "a..b.c")
	f.Add("x", ".", ".y")
	f.Add("café.*", "caf", "café.>")
	f.Add("p%q", "p%", "p%q")
	// sdk-go trims the type: " 0" is the event type "0".
	f.Add("0", ".", " 0")
	f.Fuzz(func(t *testing.T, exact, prefix, typ string) {
		if exact == "" || prefix == "" || typ == "" {
			return
		}
		filters := []FilterSpec{{Any: []FilterSpec{
			{Exact: map[string]string{"type": exact}},
			{Prefix: map[string]string{"type": prefix}},
		}}}
		fl, err := CompileFilters(filters)
		if err != nil {
			t.Fatal(err)
		}
		e := testEvent("1", typ, "/s")
		if ok, _ := fl.Match(e); !ok {
			return
		}
		// The subject is built from the type the event carries: sdk-go's
		// SetType trims white space, so " 0" is the type "0". (Ingest keeps
		// the space, and stores such an event on a subject no exact filter
		// on the trimmed type selects, which is consistent: its type is
		// " 0".)
		subj := broker.Subject("events", e.Type())
		subs := FilterSubjects("events", filters)
		if !slices.ContainsFunc(subs, func(p string) bool { return covers(p, subj) }) {
			t.Fatalf("type %q passes exact %q or prefix %q but subject %q is on none of %q", e.Type(), exact, prefix, subj, subs)
		}
		for i, a := range subs {
			for j, b := range subs {
				if i != j && covers(a, b) {
					t.Fatalf("overlapping filter subjects %q and %q", a, b)
				}
			}
		}
	})
}
