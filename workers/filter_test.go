package workers

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// testEvent builds a valid event; ext are extensions as name, value pairs.
func testEvent(id, typ, source string, ext ...any) *event.Event {
	e := event.New()
	e.SetID(id)
	e.SetType(typ)
	e.SetSource(source)
	for i := 0; i+1 < len(ext); i += 2 {
		e.SetExtension(ext[i].(string), ext[i+1])
	}
	return &e
}

func TestFilterMatch(t *testing.T) {
	order := testEvent("1", "com.example.order.created", "/shop/api", "tenant", "acme", "priority", int32(3))
	order.SetSubject("orders/42")
	order.SetTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	_ = order.SetData("application/json", map[string]int{"total": 10})
	bare := testEvent("2", "com.example.user.deleted", "/crm")

	tests := []struct {
		name    string
		filters []FilterSpec
		event   *event.Event
		want    bool
	}{
		{"no filters", nil, bare, true},
		{"exact type", []FilterSpec{{Exact: map[string]string{"type": "com.example.order.created"}}}, order, true},
		{"exact type other", []FilterSpec{{Exact: map[string]string{"type": "com.example.order.created"}}}, bare, false},
		{"exact two attributes", []FilterSpec{{Exact: map[string]string{"type": "com.example.order.created", "source": "/shop/api"}}}, order, true},
		{"exact two attributes one differs", []FilterSpec{{Exact: map[string]string{"type": "com.example.order.created", "source": "/crm"}}}, order, false},
		{"exact extension", []FilterSpec{{Exact: map[string]string{"tenant": "acme"}}}, order, true},
		{"exact integer extension canonical", []FilterSpec{{Exact: map[string]string{"priority": "3"}}}, order, true},
		{"exact missing extension", []FilterSpec{{Exact: map[string]string{"tenant": "acme"}}}, bare, false},
		{"exact subject", []FilterSpec{{Exact: map[string]string{"subject": "orders/42"}}}, order, true},
		{"exact unset subject", []FilterSpec{{Exact: map[string]string{"subject": "orders/42"}}}, bare, false},
		{"exact time canonical", []FilterSpec{{Exact: map[string]string{"time": "2025-01-02T03:04:05Z"}}}, order, true},
		{"exact datacontenttype", []FilterSpec{{Exact: map[string]string{"datacontenttype": "application/json"}}}, order, true},
		{"exact specversion", []FilterSpec{{Exact: map[string]string{"specversion": "1.0"}}}, bare, true},
		{"prefix type", []FilterSpec{{Prefix: map[string]string{"type": "com.example.order."}}}, order, true},
		{"prefix type other", []FilterSpec{{Prefix: map[string]string{"type": "com.example.order."}}}, bare, false},
		{"prefix source", []FilterSpec{{Prefix: map[string]string{"source": "/shop"}}}, order, true},
		{"suffix type", []FilterSpec{{Suffix: map[string]string{"type": ".created"}}}, order, true},
		{"suffix type other", []FilterSpec{{Suffix: map[string]string{"type": ".created"}}}, bare, false},
		{"suffix missing", []FilterSpec{{Suffix: map[string]string{"tenant": "me"}}}, bare, false},
		{"top-level list is all", []FilterSpec{
			{Prefix: map[string]string{"type": "com.example."}},
			{Exact: map[string]string{"source": "/crm"}},
		}, order, false},
		{"all", []FilterSpec{{All: []FilterSpec{
			{Prefix: map[string]string{"type": "com.example."}},
			{Suffix: map[string]string{"type": ".created"}},
		}}}, order, true},
		{"all one fails", []FilterSpec{{All: []FilterSpec{
			{Prefix: map[string]string{"type": "com.example."}},
			{Suffix: map[string]string{"type": ".created"}},
		}}}, bare, false},
		{"any second", []FilterSpec{{Any: []FilterSpec{
			{Exact: map[string]string{"type": "nope"}},
			{Exact: map[string]string{"source": "/crm"}},
		}}}, bare, true},
		{"any none", []FilterSpec{{Any: []FilterSpec{
			{Exact: map[string]string{"type": "nope"}},
			{Exact: map[string]string{"source": "/nope"}},
		}}}, bare, false},
		{"not", []FilterSpec{{Not: &FilterSpec{Exact: map[string]string{"source": "/crm"}}}}, order, true},
		{"not matching", []FilterSpec{{Not: &FilterSpec{Exact: map[string]string{"source": "/crm"}}}}, bare, false},
		{"cesql like", []FilterSpec{{CESQL: "source LIKE '/shop/%'"}}, order, true},
		{"cesql like other", []FilterSpec{{CESQL: "source LIKE '/shop/%'"}}, bare, false},
		{"cesql extension integer", []FilterSpec{{CESQL: "priority > 2"}}, order, true},
		{"cesql missing attribute is no match", []FilterSpec{{CESQL: "priority > 2"}}, bare, false},
		{"cesql exists", []FilterSpec{{CESQL: "EXISTS tenant"}}, bare, false},
		{"cesql integer result cast", []FilterSpec{{CESQL: "1"}}, bare, true},
		{"cesql known functions in any case", []FilterSpec{{CESQL: "length(lower(type)) > 0 AND CONCAT_WS('-', 'a', 'b') = 'a-b'"}}, bare, true},
		{"not of failing cesql passes (Knative)", []FilterSpec{{Not: &FilterSpec{CESQL: "priority > 2"}}}, bare, true},
		{"nested mix", []FilterSpec{
			{Exact: map[string]string{"type": "com.example.order.created"}},
			{Any: []FilterSpec{
				{CESQL: "tenant = 'other'"},
				{All: []FilterSpec{{Suffix: map[string]string{"subject": "/42"}}, {Not: &FilterSpec{Prefix: map[string]string{"source": "/crm"}}}}},
			}},
		}, order, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := CompileFilters(tt.filters)
			if err != nil {
				t.Fatalf("CompileFilters: %v", err)
			}
			got, _ := f.Match(tt.event)
			if got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFilterMatchReportsEvaluationError(t *testing.T) {
	f, err := CompileFilters([]FilterSpec{{CESQL: "priority > 2"}})
	if err != nil {
		t.Fatal(err)
	}
	ok, err := f.Match(testEvent("1", "t", "/s"))
	if ok || err == nil || !strings.Contains(err.Error(), "priority > 2") {
		t.Errorf("Match = %v, %v; want false and an error naming the expression", ok, err)
	}
}

func TestCompileFiltersErrors(t *testing.T) {
	tests := []struct {
		name    string
		filters []FilterSpec
		want    string
	}{
		{"none set", []FilterSpec{{}}, "filters[0]: exactly one of exact, prefix, suffix, all, any, not or cesql must be set (found none)"},
		{"two set", []FilterSpec{{Exact: map[string]string{"type": "a"}, CESQL: "true"}}, "filters[0]: exactly one of exact, prefix, suffix, all, any, not or cesql must be set (found exact, cesql)"},
		{"empty exact", []FilterSpec{{Exact: map[string]string{}}}, "filters[0].exact: must name at least one attribute"},
		{"bad attribute name", []FilterSpec{{Prefix: map[string]string{"Type": "a"}}}, "filters[0].prefix.Type: must be a CloudEvents attribute name"},
		{"empty value", []FilterSpec{{Suffix: map[string]string{"type": ""}}}, "filters[0].suffix.type: the value must not be empty"},
		{"empty any", []FilterSpec{{Any: []FilterSpec{}}}, "filters[0].any: must list at least one filter"},
		{"nested", []FilterSpec{{Exact: map[string]string{"type": "a"}}, {All: []FilterSpec{{Not: &FilterSpec{}}}}}, "filters[1].all[0].not: exactly one of"},
		{"bad cesql", []FilterSpec{{CESQL: "source LIKE"}}, "filters[0].cesql: not a valid CloudEvents SQL expression"},
		{"unknown function", []FilterSpec{{CESQL: "type = 'a' OR NOSUCHFN(type) = 1"}}, "filters[0].cesql: not a valid CloudEvents SQL expression: column 15: unknown function NOSUCHFN with 1 argument(s)"},
		{"known function, wrong arity", []FilterSpec{{Any: []FilterSpec{{CESQL: "LENGTH(type, source) = 1"}}}}, "filters[0].any[0].cesql: not a valid CloudEvents SQL expression: column 1: unknown function LENGTH with 2 argument(s)"},
		{"too deep", []FilterSpec{deepNot(maxFilterDepth + 2)}, "must not nest deeper than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileFilters(tt.filters)
			if !errors.Is(err, ErrInvalidFilter) {
				t.Fatalf("err = %v, want ErrInvalidFilter", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func deepNot(n int) FilterSpec {
	f := FilterSpec{Exact: map[string]string{"type": "x"}}
	for range n {
		f = FilterSpec{Not: &f}
	}
	return f
}

func TestZeroFilterMatchesAll(t *testing.T) {
	var f Filter
	if ok, err := f.Match(testEvent("1", "t", "/s")); !ok || err != nil {
		t.Errorf("zero Filter: Match = %v, %v", ok, err)
	}
}
