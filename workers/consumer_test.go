package workers

import (
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestFilterSubjects(t *testing.T) {
	exact := func(typ string) FilterSpec { return FilterSpec{Exact: map[string]string{"type": typ}} }
	prefix := func(p string) FilterSpec { return FilterSpec{Prefix: map[string]string{"type": p}} }
	tests := []struct {
		name    string
		prefix  string
		filters []FilterSpec
		want    []string
	}{
		{"no filters", "events", nil, []string{"events.>"}},
		{"default prefix", "", nil, []string{"events.>"}},
		{"exact type", "events", []FilterSpec{exact("com.example.order.created")}, []string{"events.com.example.order.created"}},
		{"exact type escaped", "events", []FilterSpec{exact("café.*")}, []string{"events.caf%C3%A9.%2A"}},
		{"exact type with other attribute", "events", []FilterSpec{{Exact: map[string]string{"type": "a.b", "source": "/x"}}}, []string{"events.a.b"}},
		{"exact on source only", "events", []FilterSpec{{Exact: map[string]string{"source": "/x"}}}, []string{"events.>"}},
		{"exact type after cesql", "fn.events", []FilterSpec{{CESQL: "true"}, exact("a.b")}, []string{"fn.events.a.b"}},
		{"prefix ending with dot", "events", []FilterSpec{prefix("com.example.")}, []string{"events.com.example.>"}},
		{"prefix inside a token", "events", []FilterSpec{prefix("com.example.ord")}, []string{"events.com.example.>"}},
		{"prefix without dot", "events", []FilterSpec{prefix("com")}, []string{"events.>"}},
		{"prefix on source", "events", []FilterSpec{{Prefix: map[string]string{"source": "/shop/"}}}, []string{"events.>"}},
		{"suffix type", "events", []FilterSpec{{Suffix: map[string]string{"type": ".created"}}}, []string{"events.>"}},
		{"any of exact types", "events", []FilterSpec{{Any: []FilterSpec{exact("b.x"), exact("a.y"), exact("b.x")}}}, []string{"events.a.y", "events.b.x"}},
		{"any with a non-type member", "events", []FilterSpec{{Any: []FilterSpec{exact("a.y"), {CESQL: "true"}}}}, []string{"events.>"}},
		{"any overlapping is minimal", "events", []FilterSpec{{Any: []FilterSpec{exact("a.b.c"), prefix("a.b."), exact("z")}}}, []string{"events.a.b.>", "events.z"}},
		{"all takes first with subjects", "events", []FilterSpec{{All: []FilterSpec{{CESQL: "true"}, prefix("a.")}}}, []string{"events.a.>"}},
		{"not is not narrowed", "events", []FilterSpec{{Not: &FilterSpec{Exact: map[string]string{"type": "a"}}}}, []string{"events.>"}},
		{"invalid filter with two dialects", "events", []FilterSpec{{Exact: map[string]string{"type": "a"}, CESQL: "false"}}, []string{"events.>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FilterSubjects(tt.prefix, tt.filters); !slices.Equal(got, tt.want) {
				t.Errorf("FilterSubjects = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFilterSubjectsAreSuperset checks that every event the filters match is
// on one of the derived subjects.
func TestFilterSubjectsAreSuperset(t *testing.T) {
	filters := []FilterSpec{{Any: []FilterSpec{
		{Exact: map[string]string{"type": "com.example.order.created"}},
		{Prefix: map[string]string{"type": "com.example.user."}},
		{Prefix: map[string]string{"type": "x..y"}},
	}}}
	f, err := CompileFilters(filters)
	if err != nil {
		t.Fatal(err)
	}
	subs := FilterSubjects("events", filters)
	for _, typ := range []string{"com.example.order.created", "com.example.user.x", "com.example.user.", "com.example.user.a.b", "x..y", "x..yz.q", "other", "com.example.order.deleted"} {
		e := testEvent("1", typ, "/s")
		ok, _ := f.Match(e)
		if !ok {
			continue
		}
		subj := "events." + escapeForTest(typ)
		if !slices.ContainsFunc(subs, func(p string) bool { return covers(p, subj) }) {
			t.Errorf("type %q matches the filters but subject %q is on none of %q", typ, subj, subs)
		}
	}
}

func TestConsumerConfig(t *testing.T) {
	fn := Config{
		Function:      "fulfil",
		Stream:        "EVENTS",
		SubjectPrefix: "events",
		Filters:       []FilterSpec{{Exact: map[string]string{"type": "com.example.order.created"}}},
		Concurrency:   8,
		AckWait:       10 * time.Second,
		Delivery:      Delivery{Retry: new(5)},
		MaxReplicas:   20,
	}
	got := ConsumerConfig(fn)
	want := jetstream.ConsumerConfig{
		Durable:        "fulfil",
		Description:    "fnmesh function fulfil",
		DeliverPolicy:  jetstream.DeliverNewPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        10 * time.Second,
		MaxDeliver:     -1,
		MaxAckPending:  8*20 + backoffRoom,
		ReplayPolicy:   jetstream.ReplayInstantPolicy,
		FilterSubjects: []string{"events.com.example.order.created"},
	}
	if !equalConsumerConfig(got, want) {
		t.Errorf("ConsumerConfig =\n%+v\nwant\n%+v", got, want)
	}
	if fn.Concurrency != 8 || fn.Timeout != 0 || fn.Delivery.BackoffPolicy != "" {
		t.Errorf("ConsumerConfig modified the function: %+v", fn)
	}

	// Defaults: ack wait 30s, concurrency 1, one replica (the mesh's
	// default of 10 replicas is meshmap's to map: see its tests).
	got = ConsumerConfig(Config{Function: "f"})
	if got.AckWait != DefaultAckWait || got.MaxAckPending != 1*DefaultMaxReplicas+backoffRoom ||
		!slices.Equal(got.FilterSubjects, []string{"events.>"}) {
		t.Errorf("defaults: %+v", got)
	}
}

func equalConsumerConfig(a, b jetstream.ConsumerConfig) bool {
	fa, fb := a.FilterSubjects, b.FilterSubjects
	a.FilterSubjects, b.FilterSubjects = nil, nil
	return slices.Equal(fa, fb) && a.Durable == b.Durable && a.Description == b.Description &&
		a.DeliverPolicy == b.DeliverPolicy && a.AckPolicy == b.AckPolicy && a.AckWait == b.AckWait &&
		a.MaxDeliver == b.MaxDeliver && a.MaxAckPending == b.MaxAckPending && a.ReplayPolicy == b.ReplayPolicy &&
		a.FilterSubject == b.FilterSubject && a.MaxWaiting == b.MaxWaiting
}

// A stream outside the subject prefix gets no server-side filter: the
// type-derived subjects ("events.<type>") would match nothing there.
func TestConsumerConfigStreamOutsidePrefix(t *testing.T) {
	exact := []FilterSpec{{Exact: map[string]string{"type": "com.example.login"}}}
	for _, tt := range []struct {
		name     string
		subjects []string
		want     []string
	}{
		{"unknown subjects", nil, []string{"events.com.example.login"}},
		{"under the prefix", []string{"events.>"}, []string{"events.com.example.login"}},
		{"part of the prefix", []string{"events.com.>"}, []string{"events.com.example.login"}},
		{"outside", []string{"audit.>"}, nil},
		{"mixed", []string{"events.>", "audit.>"}, nil},
		{"prefix as a token prefix only", []string{"eventsx.>"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := ConsumerConfig(Config{Function: "f", Stream: "S", StreamSubjects: tt.subjects, Filters: exact}).FilterSubjects
			if !slices.Equal(got, tt.want) {
				t.Errorf("FilterSubjects = %q, want %q", got, tt.want)
			}
		})
	}
}
