package broker_test

import (
	"testing"

	"github.com/fnmesh/fnmesh/broker"
)

func TestCheckSubject(t *testing.T) {
	tests := []struct {
		s         string
		wildcards bool
		ok        bool
	}{
		{s: "events", ok: true},
		{s: "events.>", wildcards: true, ok: true},
		{s: "events.*.created", wildcards: true, ok: true},
		{s: "events.>", wildcards: false},
		{s: "", wildcards: true},
		{s: "a..b", wildcards: true},
		{s: ".a", wildcards: true},
		{s: "a.", wildcards: true},
		{s: "a.>.b", wildcards: true},
		{s: "a.b*", wildcards: true},
		{s: "a b", wildcards: true},
	}
	for _, tt := range tests {
		if err := broker.CheckSubject(tt.s, tt.wildcards); (err == nil) != tt.ok {
			t.Errorf("CheckSubject(%q, %v) = %v, want ok=%v", tt.s, tt.wildcards, err, tt.ok)
		}
	}
}

func TestSubjectRelations(t *testing.T) {
	tests := []struct {
		a, b              string
		overlap, contains bool
	}{
		{a: "events.>", b: "events.>", overlap: true, contains: true},
		{a: "events.>", b: "events.a.b", overlap: true, contains: true},
		{a: "events.>", b: "events", overlap: false, contains: false},
		{a: "events.*", b: "events.a", overlap: true, contains: true},
		{a: "events.*", b: "events.a.b", overlap: false, contains: false},
		{a: "events.a", b: "events.*", overlap: true, contains: false},
		{a: "events.a.>", b: "events.>", overlap: true, contains: false},
		{a: ">", b: "deadletter.>", overlap: true, contains: true},
		{a: "events.>", b: "deadletter.>", overlap: false, contains: false},
		{a: "a.*.c", b: "a.b.*", overlap: true, contains: false},
	}
	for _, tt := range tests {
		if got := broker.SubjectsOverlap(tt.a, tt.b); got != tt.overlap {
			t.Errorf("SubjectsOverlap(%q, %q) = %v", tt.a, tt.b, got)
		}
		if got := broker.SubjectsOverlap(tt.b, tt.a); got != tt.overlap {
			t.Errorf("SubjectsOverlap(%q, %q) = %v (not symmetric)", tt.b, tt.a, got)
		}
		if got := broker.SubjectContains(tt.a, tt.b); got != tt.contains {
			t.Errorf("SubjectContains(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}
