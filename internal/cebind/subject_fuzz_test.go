package cebind

import (
	"errors"
	"testing"
)

func FuzzEscapeType(f *testing.F) {
	for _, s := range []string{
		"com.example.order.created", "", ".", "..", "a..b", ".a", "a.", "%", "a.%.b",
		"a b", "*", ">", "a.*.>", "café", "\x00\xff", "%25", "%.%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, eventType string) {
		esc := EscapeType(eventType)
		if err := checkEscapedTokens(esc); err != nil {
			t.Fatalf("EscapeType(%q) = %q: %v", eventType, esc, err)
		}
		back, err := UnescapeType(esc)
		if err != nil {
			t.Fatalf("UnescapeType(EscapeType(%q) = %q): %v", eventType, esc, err)
		}
		if back != eventType {
			t.Fatalf("UnescapeType(EscapeType(%q)) = %q", eventType, back)
		}
		subj := Subject("events", eventType)
		if err := checkPublishSubject(subj); err != nil {
			t.Fatalf("Subject(events, %q) = %q: %v", eventType, subj, err)
		}
		if got, err := TypeFromSubject("events", subj); err != nil || got != eventType {
			t.Fatalf("TypeFromSubject(events, %q) = %q, %v; want %q", subj, got, err, eventType)
		}
	})
}

func FuzzUnescapeType(f *testing.F) {
	for _, s := range []string{
		"com.example.order.created", "%", "%.%", "a%20b", "a%2a", "a%", "a%2", "%41", "a..b", "x.%F0%9F%9A%80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tokens string) {
		eventType, err := UnescapeType(tokens)
		if err != nil {
			if !errors.Is(err, ErrInvalidSubject) {
				t.Fatalf("UnescapeType(%q) error %v does not wrap ErrInvalidSubject", tokens, err)
			}
			return
		}
		// Only canonical escapes are accepted, so the mapping is a bijection.
		if esc := EscapeType(eventType); esc != tokens {
			t.Fatalf("EscapeType(UnescapeType(%q)) = %q", tokens, esc)
		}
	})
}
