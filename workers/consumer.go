package workers

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
)

// backoffRoom is added to a consumer's MaxAckPending on top of the events
// its replicas can hold at once. An event waiting for its retry delay (a
// NAK with delay) stays pending on the server, so without the room a burst
// of failing events would stop the delivery of new ones until their
// backoff ends.
const backoffRoom = 1000

// ConsumerName is the name of the durable consumer of function fn: the
// function's name. All replicas of the function pull from it, so it is the
// function's queue group.
func ConsumerName(fn string) string { return fn }

// ConsumerConfig derives the durable pull consumer of the function of c
// (its defaults applied):
//
//   - Durable = ConsumerName(c.Function); DeliverPolicy from c.StartFrom:
//     new (the default) sees the events stored from the consumer's
//     creation on, all every event the stream holds, a time those stored
//     from then on (DeliverByStartTime). JetStream keeps an existing
//     consumer's position: see broker.KeepPosition;
//   - AckPolicy explicit with AckWait = c.AckWait (progress heartbeats keep
//     longer work alive);
//   - MaxDeliver -1: the worker counts the attempts from the delivery
//     metadata and dead-letters at the last one (also when earlier attempts
//     ended in a crash), so the server never drops an event silently;
//   - MaxAckPending = Concurrency x MaxReplicas + backoffRoom;
//   - FilterSubjects from FilterSubjects, so the server only delivers events
//     the function may want; none when the stream captures subjects outside
//     the subject prefix (see StreamSubjects).
func ConsumerConfig(c Config) jetstream.ConsumerConfig {
	c.setDefaults()
	policy, start, _ := startPolicy(c.StartFrom) // Validate checked it
	cc := jetstream.ConsumerConfig{
		Durable:        ConsumerName(c.Function),
		Description:    "fnmesh function " + c.Function,
		DeliverPolicy:  policy,
		OptStartTime:   start,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        c.AckWait,
		MaxDeliver:     -1,
		MaxAckPending:  c.Concurrency*c.MaxReplicas + backoffRoom,
		ReplayPolicy:   jetstream.ReplayInstantPolicy,
		FilterSubjects: consumerSubjects(c),
	}
	if b := c.Batch; b != nil {
		cc.MaxAckPending = c.Concurrency*b.MaxEvents*c.MaxReplicas + backoffRoom
	}
	if c.Ordering != nil {
		// One replica at a time is pinned to receive (see Ordering).
		cc.PriorityPolicy = jetstream.PriorityPolicyPinned
		cc.PriorityGroups = []string{orderGroup}
		cc.PinnedTTL = pinnedTTL(c.AckWait)
		cc.MaxAckPending = c.Concurrency + orderHeld // retries wait in hand, not on the server
		if b := c.Batch; b != nil {
			cc.MaxAckPending = c.Concurrency*b.MaxEvents + orderHeld
		}
	}
	return cc
}

// consumerSubjects are the server-side filter of c's consumer:
// FilterSubjects when the stream only holds events under the subject prefix
// (or its subjects are not known), none (the whole stream) when it
// captures other subjects, whose events are not stored by type.
func consumerSubjects(c Config) []string {
	if !UnderPrefix(c.SubjectPrefix, c.StreamSubjects) {
		return nil
	}
	return FilterSubjects(c.SubjectPrefix, c.Filters)
}

// UnderPrefix reports whether every subject of a stream lies under
// "<prefix>.>" (prefix DefaultSubjectPrefix when empty), where fnmesh
// stores an event of type T on "<prefix>.<T>". An empty list counts as
// under it.
func UnderPrefix(prefix string, streamSubjects []string) bool {
	if prefix == "" {
		prefix = DefaultSubjectPrefix
	}
	for _, s := range streamSubjects {
		if s != prefix+".>" && !strings.HasPrefix(s, prefix+".") {
			return false
		}
	}
	return true
}

// startPolicy maps a StartFrom value onto a deliver policy and, for a
// time, its start time.
func startPolicy(s string) (jetstream.DeliverPolicy, *time.Time, error) {
	switch s {
	case "", StartNew:
		return jetstream.DeliverNewPolicy, nil, nil
	case StartAll:
		return jetstream.DeliverAllPolicy, nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return jetstream.DeliverNewPolicy, nil, fmt.Errorf("must be new, all or an RFC 3339 time (2026-01-02T15:04:05Z), not %q", s)
	}
	t = t.UTC()
	return jetstream.DeliverByStartTimePolicy, &t, nil
}

// FilterSubjects derives the server-side subject filter of a function from
// its filters (a list that must all match), under the subject prefix of
// events (DefaultSubjectPrefix when empty). Every event that matches the filters is on one of the returned
// subjects; the worker still evaluates the filters on each event.
//
//   - an exact filter on type: the subject of that type;
//   - a prefix filter on type: the family of types below the prefix's last
//     complete dot-separated token ("com.example." and "com.example.ord"
//     both select "<prefix>.com.example.>");
//   - any: the union of its members' subjects, when every member has one;
//   - all (and the top-level list): the subjects of its first member that
//     has some;
//   - otherwise every event: "<prefix>.>".
//
// Subjects covered by another one are dropped, because JetStream rejects
// overlapping filter subjects.
func FilterSubjects(prefix string, filters []FilterSpec) []string {
	if prefix == "" {
		prefix = DefaultSubjectPrefix
	}
	if subs, ok := subjectsOfAll(prefix, filters, 0); ok {
		return subs
	}
	return []string{prefix + ".>"}
}

// subjectsOfAll derives the subjects of a list of filters that must all match.
func subjectsOfAll(prefix string, fs []FilterSpec, depth int) ([]string, bool) {
	for i := range fs {
		if subs, ok := subjectsOf(prefix, &fs[i], depth); ok {
			return subs, true
		}
	}
	return nil, false
}

// subjectsOf derives the subjects of one filter, if it restricts the type.
func subjectsOf(prefix string, f *FilterSpec, depth int) ([]string, bool) {
	if depth > maxFilterDepth {
		return nil, false
	}
	// A filter with several dialects set is invalid; deriving nothing is safe.
	switch {
	case f.Exact != nil && f.Prefix == nil && f.Suffix == nil && f.All == nil && f.Any == nil && f.Not == nil && f.CESQL == "":
		if t, ok := f.Exact["type"]; ok && t != "" {
			return []string{broker.Subject(prefix, t)}, true
		}
	case f.Prefix != nil && f.Exact == nil && f.Suffix == nil && f.All == nil && f.Any == nil && f.Not == nil && f.CESQL == "":
		if p, ok := f.Prefix["type"]; ok {
			if i := strings.LastIndexByte(p, '.'); i >= 0 {
				return []string{broker.Subject(prefix, p[:i]) + ".>"}, true
			}
		}
	case len(f.All) > 0 && f.Exact == nil && f.Prefix == nil && f.Suffix == nil && f.Any == nil && f.Not == nil && f.CESQL == "":
		return subjectsOfAll(prefix, f.All, depth+1)
	case len(f.Any) > 0 && f.Exact == nil && f.Prefix == nil && f.Suffix == nil && f.All == nil && f.Not == nil && f.CESQL == "":
		var union []string
		for i := range f.Any {
			subs, ok := subjectsOf(prefix, &f.Any[i], depth+1)
			if !ok {
				return nil, false
			}
			union = append(union, subs...)
		}
		return minimalSubjects(union), true
	}
	return nil, false
}

// minimalSubjects sorts and de-duplicates subjects and drops those that
// another one covers. Subjects here only have a wildcard as the last token
// ("a.b.>").
func minimalSubjects(subs []string) []string {
	slices.Sort(subs)
	subs = slices.Compact(subs)
	out := subs[:0:0]
	for _, s := range subs {
		covered := false
		for _, o := range subs {
			if o != s && covers(o, s) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, s)
		}
	}
	return out
}

// covers reports whether pattern p ("x.y.>" or a literal) matches every
// subject that s matches.
func covers(p, s string) bool {
	base, ok := strings.CutSuffix(p, ".>")
	if !ok {
		return p == s
	}
	return strings.HasPrefix(s, base+".")
}
