package workers

import (
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/internal/config"
)

func TestFilterSubjects(t *testing.T) {
	exact := func(typ string) config.Filter { return config.Filter{Exact: map[string]string{"type": typ}} }
	prefix := func(p string) config.Filter { return config.Filter{Prefix: map[string]string{"type": p}} }
	tests := []struct {
		name    string
		prefix  string
		filters []config.Filter
		want    []string
	}{
		{"no filters", "events", nil, []string{"events.>"}},
		{"default prefix", "", nil, []string{"events.>"}},
		{"exact type", "events", []config.Filter{exact("com.example.order.created")}, []string{"events.com.example.order.created"}},
		{"exact type escaped", "events", []config.Filter{exact("café.*")}, []string{"events.caf%C3%A9.%2A"}},
		{"exact type with other attribute", "events", []config.Filter{{Exact: map[string]string{"type": "a.b", "source": "/x"}}}, []string{"events.a.b"}},
		{"exact on source only", "events", []config.Filter{{Exact: map[string]string{"source": "/x"}}}, []string{"events.>"}},
		{"exact type after cesql", "fn.events", []config.Filter{{CESQL: "true"}, exact("a.b")}, []string{"fn.events.a.b"}},
		{"prefix ending with dot", "events", []config.Filter{prefix("com.example.")}, []string{"events.com.example.>"}},
		{"prefix inside a token", "events", []config.Filter{prefix("com.example.ord")}, []string{"events.com.example.>"}},
		{"prefix without dot", "events", []config.Filter{prefix("com")}, []string{"events.>"}},
		{"prefix on source", "events", []config.Filter{{Prefix: map[string]string{"source": "/shop/"}}}, []string{"events.>"}},
		{"suffix type", "events", []config.Filter{{Suffix: map[string]string{"type": ".created"}}}, []string{"events.>"}},
		{"any of exact types", "events", []config.Filter{{Any: []config.Filter{exact("b.x"), exact("a.y"), exact("b.x")}}}, []string{"events.a.y", "events.b.x"}},
		{"any with a non-type member", "events", []config.Filter{{Any: []config.Filter{exact("a.y"), {CESQL: "true"}}}}, []string{"events.>"}},
		{"any overlapping is minimal", "events", []config.Filter{{Any: []config.Filter{exact("a.b.c"), prefix("a.b."), exact("z")}}}, []string{"events.a.b.>", "events.z"}},
		{"all takes first with subjects", "events", []config.Filter{{All: []config.Filter{{CESQL: "true"}, prefix("a.")}}}, []string{"events.a.>"}},
		{"not is not narrowed", "events", []config.Filter{{Not: &config.Filter{Exact: map[string]string{"type": "a"}}}}, []string{"events.>"}},
		{"invalid filter with two dialects", "events", []config.Filter{{Exact: map[string]string{"type": "a"}, CESQL: "false"}}, []string{"events.>"}},
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
	filters := []config.Filter{{Any: []config.Filter{
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
	retry := 5
	m := &config.Mesh{SubjectPrefix: "events", Streams: []config.Stream{{Name: "EVENTS", Subjects: []string{"events.>"}}}}
	fn := &config.Function{
		Name:        "fulfil",
		Filters:     []config.Filter{{Exact: map[string]string{"type": "com.example.order.created"}}},
		Concurrency: 8,
		AckWait:     config.Duration(10 * time.Second),
		Delivery:    config.Delivery{Retry: &retry},
		Scaling:     config.Scaling{MaxReplicaCount: 20},
	}
	got := ConsumerConfig(m, fn)
	want := jetstream.ConsumerConfig{
		Durable:        "fulfil",
		Description:    "fnmesh function fulfil",
		DeliverPolicy:  jetstream.DeliverAllPolicy,
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
	if fn.Concurrency != 8 || fn.Timeout != 0 || fn.Stream != "" {
		t.Errorf("ConsumerConfig modified the function: %+v", fn)
	}

	// Defaults: ack wait 30s, concurrency 1, 10 replicas.
	got = ConsumerConfig(&config.Mesh{}, &config.Function{Name: "f"})
	if got.AckWait != config.DefaultAckWait || got.MaxAckPending != 1*config.DefaultMaxReplicaCount+backoffRoom ||
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
