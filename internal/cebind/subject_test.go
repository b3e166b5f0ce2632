package cebind

import (
	"errors"
	"strings"
	"testing"
)

func TestEscapeType(t *testing.T) {
	tests := []struct {
		name      string
		eventType string
		want      string
	}{
		{name: "plain reverse-DNS type", eventType: "com.example.order.created", want: "com.example.order.created"},
		{name: "single token", eventType: "ping", want: "ping"},
		{name: "allowed punctuation", eventType: "a-b_c:d/e$f#g~h", want: "a-b_c:d/e$f#g~h"},
		{name: "space", eventType: "order created", want: "order%20created"},
		{name: "tab", eventType: "a\tb", want: "a%09b"},
		{name: "CR and LF", eventType: "a\r\nb", want: "a%0D%0Ab"},
		{name: "star inside a token", eventType: "a*b", want: "a%2Ab"},
		{name: "star token", eventType: "com.*", want: "com.%2A"},
		{name: "greater-than token", eventType: "com.>", want: "com.%3E"},
		{name: "percent itself", eventType: "com.example.50%.off", want: "com.example.50%25.off"},
		{name: "lone percent token", eventType: "a.%.b", want: "a.%25.b"},
		{name: "leading dot", eventType: ".a", want: "%.a"},
		{name: "trailing dot", eventType: "a.", want: "a.%"},
		{name: "double dot", eventType: "a..b", want: "a.%.b"},
		{name: "only a dot", eventType: ".", want: "%.%"},
		{name: "only dots", eventType: "...", want: "%.%.%.%"},
		{name: "empty type", eventType: "", want: "%"},
		{name: "unicode", eventType: "café.créé", want: "caf%C3%A9.cr%C3%A9%C3%A9"},
		{name: "emoji", eventType: "x.🚀", want: "x.%F0%9F%9A%80"},
		{name: "NUL and DEL", eventType: "a\x00b\x7f", want: "a%00b%7F"},
		{name: "invalid UTF-8", eventType: "a\xffb", want: "a%FFb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EscapeType(tt.eventType)
			if got != tt.want {
				t.Fatalf("EscapeType(%q) = %q, want %q", tt.eventType, got, tt.want)
			}
			if err := checkEscapedTokens(got); err != nil {
				t.Fatalf("EscapeType(%q) = %q: %v", tt.eventType, got, err)
			}
			back, err := UnescapeType(got)
			if err != nil {
				t.Fatalf("UnescapeType(%q): %v", got, err)
			}
			if back != tt.eventType {
				t.Fatalf("UnescapeType(%q) = %q, want %q", got, back, tt.eventType)
			}
		})
	}
}

// checkEscapedTokens reports why s is not a valid sequence of NATS subject
// tokens to publish to: whitespace or control bytes, non-ASCII bytes, empty
// tokens or wildcard tokens.
func checkEscapedTokens(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '*' || c == '>' {
			return errors.New("forbidden byte " + string(rune(c)))
		}
	}
	for _, tok := range strings.Split(s, ".") {
		if tok == "" {
			return errors.New("empty token")
		}
	}
	return nil
}

func TestEscapeTypeNoAllocWhenClean(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		_ = EscapeType("com.example.order.created")
	})
	if allocs != 0 {
		t.Fatalf("EscapeType of a clean type allocated %v times, want 0", allocs)
	}
}

func TestUnescapeTypeErrors(t *testing.T) {
	tests := []struct {
		name   string
		tokens string
	}{
		{name: "empty", tokens: ""},
		{name: "leading dot", tokens: ".a"},
		{name: "trailing dot", tokens: "a."},
		{name: "double dot", tokens: "a..b"},
		{name: "raw space", tokens: "a b"},
		{name: "raw star", tokens: "a.*"},
		{name: "raw greater-than", tokens: "a.>"},
		{name: "raw non-ASCII", tokens: "café"},
		{name: "truncated escape", tokens: "a%2"},
		{name: "escape at end", tokens: "a%"},
		{name: "percent then dot", tokens: "%%.a"},
		{name: "lower-case hex", tokens: "a%2a"},
		{name: "non-hex digits", tokens: "a%G1"},
		{name: "needless escape of a letter", tokens: "%41"},
		{name: "needless escape of a dot", tokens: "a%2Eb"},
		{name: "escape in an otherwise empty token", tokens: "a.%%"},
		{name: "empty token after escape", tokens: "a%20..b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UnescapeType(tt.tokens)
			if !errors.Is(err, ErrInvalidSubject) {
				t.Fatalf("UnescapeType(%q) = %q, %v; want error wrapping ErrInvalidSubject", tt.tokens, got, err)
			}
		})
	}
}

func TestSubjectAndTypeFromSubject(t *testing.T) {
	tests := []struct {
		name      string
		prefix    string
		eventType string
		want      string
	}{
		{name: "simple", prefix: "events", eventType: "com.example.order.created", want: "events.com.example.order.created"},
		{name: "multi-token prefix", prefix: "fnmesh.events", eventType: "a.b", want: "fnmesh.events.a.b"},
		{name: "escaped type", prefix: "events", eventType: "a b.*", want: "events.a%20b.%2A"},
		{name: "leading dot in type", prefix: "events", eventType: ".x", want: "events.%.x"},
		{name: "no prefix", prefix: "", eventType: "a.b", want: "a.b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Subject(tt.prefix, tt.eventType)
			if got != tt.want {
				t.Fatalf("Subject(%q, %q) = %q, want %q", tt.prefix, tt.eventType, got, tt.want)
			}
			if err := checkPublishSubject(got); err != nil {
				t.Fatalf("Subject(%q, %q) = %q is not publishable: %v", tt.prefix, tt.eventType, got, err)
			}
			back, err := TypeFromSubject(tt.prefix, got)
			if err != nil {
				t.Fatalf("TypeFromSubject(%q, %q): %v", tt.prefix, got, err)
			}
			if back != tt.eventType {
				t.Fatalf("TypeFromSubject(%q, %q) = %q, want %q", tt.prefix, got, back, tt.eventType)
			}
		})
	}
}

func TestTypeFromSubjectErrors(t *testing.T) {
	tests := []struct {
		name    string
		prefix  string
		subject string
	}{
		{name: "other prefix", prefix: "events", subject: "other.a.b"},
		{name: "prefix is a longer token", prefix: "events", subject: "eventsx.a"},
		{name: "prefix alone", prefix: "events", subject: "events"},
		{name: "prefix and dot", prefix: "events", subject: "events."},
		{name: "bad escape after prefix", prefix: "events", subject: "events.a%zz"},
		{name: "empty subject", prefix: "", subject: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TypeFromSubject(tt.prefix, tt.subject)
			if !errors.Is(err, ErrInvalidSubject) {
				t.Fatalf("TypeFromSubject(%q, %q) = %q, %v; want error wrapping ErrInvalidSubject", tt.prefix, tt.subject, got, err)
			}
		})
	}
}

func TestCheckPublishSubject(t *testing.T) {
	tests := []struct {
		subject string
		ok      bool
	}{
		{subject: "events.a.b", ok: true},
		{subject: "events.a%20b", ok: true},
		{subject: "", ok: false},
		{subject: "events..a", ok: false},
		{subject: ".events", ok: false},
		{subject: "events.", ok: false},
		{subject: "events.*", ok: false},
		{subject: "events.>", ok: false},
		{subject: "events.a b", ok: false},
		{subject: "events.a\tb", ok: false},
		{subject: "events.a\x7f", ok: false},
	}
	for _, tt := range tests {
		err := checkPublishSubject(tt.subject)
		if tt.ok && err != nil {
			t.Errorf("checkPublishSubject(%q) = %v, want nil", tt.subject, err)
		}
		if !tt.ok && !errors.Is(err, ErrInvalidSubject) {
			t.Errorf("checkPublishSubject(%q) = %v, want error wrapping ErrInvalidSubject", tt.subject, err)
		}
	}
}
