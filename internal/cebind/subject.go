package cebind

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidSubject means a subject, or an escaped event type inside one,
// is not something EscapeType or Subject could have produced.
var ErrInvalidSubject = errors.New("invalid subject")

// escapeChar starts a "%XX" escape; a token made of it alone stands for an
// empty token.
const escapeChar = '%'

const upperHex = "0123456789ABCDEF"

// Subject returns the NATS subject for an event type:
// prefix + "." + EscapeType(eventType). An empty prefix yields the escaped
// type alone. The prefix is used as given; it must itself be a valid
// subject (for example "events" or "fnmesh.events").
func Subject(prefix, eventType string) string {
	if prefix == "" {
		return EscapeType(eventType)
	}
	return prefix + "." + EscapeType(eventType)
}

// EscapeType maps a CloudEvents type to one or more NATS subject tokens.
//
// Dots stay token separators, so "com.example.order.created" maps to itself
// and wildcards like "events.com.example.>" select a family of types. Every
// other byte of a token that NATS forbids or that would break the mapping is
// written as '%' followed by two upper-case hex digits of the byte:
//
//   - bytes outside printable ASCII (0x21-0x7E): space, tab, CR, LF, other
//     control bytes, DEL and every byte of a non-ASCII UTF-8 sequence;
//   - '*' and '>', the NATS wildcards;
//   - '%' itself.
//
// An empty token (from a leading, trailing or doubled dot, or an empty type)
// is written as a lone "%". No other token is a lone "%", because '%' in a
// non-empty token is always escaped, so the mapping is reversible:
//
//	"com.example.order.created" -> "com.example.order.created"
//	"com.example.50%.off"       -> "com.example.50%25.off"
//	"a..b"                      -> "a.%.b"
//	"café.*"                    -> "caf%C3%A9.%2A"
//
// The result never contains whitespace, never has an empty token and never
// has a wildcard token. Types that need no escape are returned without
// allocating.
func EscapeType(eventType string) string {
	if !needsEscape(eventType) {
		return eventType
	}
	var b strings.Builder
	b.Grow(len(eventType) + 8)
	start := 0
	for i := 0; i <= len(eventType); i++ {
		if i < len(eventType) && eventType[i] != '.' {
			continue
		}
		if start > 0 {
			b.WriteByte('.')
		}
		escapeToken(&b, eventType[start:i])
		start = i + 1
	}
	return b.String()
}

// escapeToken writes one escaped token to b.
func escapeToken(b *strings.Builder, tok string) {
	if tok == "" {
		b.WriteByte(escapeChar)
		return
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if mustEscape(c) {
			b.WriteByte(escapeChar)
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&0x0f])
			continue
		}
		b.WriteByte(c)
	}
}

// mustEscape reports whether byte c cannot appear as itself inside a token.
func mustEscape(c byte) bool {
	return c < 0x21 || c > 0x7e || c == '*' || c == '>' || c == escapeChar
}

// needsEscape reports whether EscapeType has anything to change in t.
func needsEscape(t string) bool {
	if t == "" || t[0] == '.' || t[len(t)-1] == '.' {
		return true
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == '.' {
			if t[i+1] == '.' {
				return true
			}
			continue
		}
		if mustEscape(c) {
			return true
		}
	}
	return false
}

// UnescapeType reverses EscapeType. It accepts exactly the strings
// EscapeType produces: tokens separated by single dots, each either a lone
// "%" (an empty token) or printable ASCII without '*' and '>' in which every
// '%' starts an upper-case "%XX" escape of a byte that must be escaped.
// Anything else is an error wrapping ErrInvalidSubject, so for every accepted
// s, EscapeType(UnescapeType(s)) == s.
func UnescapeType(tokens string) (string, error) {
	if tokens == "" {
		return "", fmt.Errorf("cebind: escaped event type is empty: %w", ErrInvalidSubject)
	}
	if strings.IndexByte(tokens, escapeChar) < 0 {
		// Fast path: no escapes, so only validity needs checking.
		if err := checkPlainTokens(tokens); err != nil {
			return "", err
		}
		return tokens, nil
	}
	out := make([]byte, 0, len(tokens))
	start := 0
	for i := 0; i <= len(tokens); i++ {
		if i < len(tokens) && tokens[i] != '.' {
			continue
		}
		if start > 0 {
			out = append(out, '.')
		}
		var err error
		out, err = unescapeToken(out, tokens[start:i], start)
		if err != nil {
			return "", fmt.Errorf("cebind: escaped event type %q: %w", tokens, err)
		}
		start = i + 1
	}
	return string(out), nil
}

// checkPlainTokens validates an escaped type that contains no '%'.
func checkPlainTokens(tokens string) error {
	start := 0
	for i := 0; i <= len(tokens); i++ {
		if i < len(tokens) && tokens[i] != '.' {
			if mustEscape(tokens[i]) {
				return fmt.Errorf("cebind: escaped event type %q: byte %q at offset %d must be escaped: %w",
					tokens, tokens[i], i, ErrInvalidSubject)
			}
			continue
		}
		if i == start {
			return fmt.Errorf("cebind: escaped event type %q: empty token at offset %d (an empty token is written %q): %w",
				tokens, i, string(escapeChar), ErrInvalidSubject)
		}
		start = i + 1
	}
	return nil
}

// unescapeToken appends the unescaped form of tok (which starts at offset
// off of the whole string) to out.
func unescapeToken(out []byte, tok string, off int) ([]byte, error) {
	if tok == "" {
		return out, fmt.Errorf("empty token at offset %d (an empty token is written %q): %w",
			off, string(escapeChar), ErrInvalidSubject)
	}
	if tok == string(escapeChar) {
		return out, nil
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c != escapeChar {
			if mustEscape(c) {
				return out, fmt.Errorf("byte %q at offset %d must be escaped: %w", c, off+i, ErrInvalidSubject)
			}
			out = append(out, c)
			continue
		}
		if i+2 >= len(tok) {
			return out, fmt.Errorf("escape at offset %d needs two hex digits: %w", off+i, ErrInvalidSubject)
		}
		hi, ok1 := fromUpperHex(tok[i+1])
		lo, ok2 := fromUpperHex(tok[i+2])
		if !ok1 || !ok2 {
			return out, fmt.Errorf("escape %q at offset %d is not '%%' and two upper-case hex digits: %w",
				tok[i:i+3], off+i, ErrInvalidSubject)
		}
		v := hi<<4 | lo
		if !mustEscape(v) {
			return out, fmt.Errorf("escape %q at offset %d encodes %q, which is written as itself: %w",
				tok[i:i+3], off+i, v, ErrInvalidSubject)
		}
		out = append(out, v)
		i += 2
	}
	return out, nil
}

// fromUpperHex decodes one upper-case hex digit.
func fromUpperHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// TypeFromSubject returns the event type carried by subject: it strips
// prefix + "." and unescapes the rest with UnescapeType. An empty prefix
// means the whole subject is the escaped type. Errors wrap ErrInvalidSubject.
func TypeFromSubject(prefix, subject string) (string, error) {
	if prefix != "" {
		rest, ok := strings.CutPrefix(subject, prefix)
		if !ok || len(rest) < 2 || rest[0] != '.' {
			return "", fmt.Errorf("cebind: subject %q is not below prefix %q: %w", subject, prefix, ErrInvalidSubject)
		}
		subject = rest[1:]
	}
	return UnescapeType(subject)
}

// checkPublishSubject reports whether s is a subject a message can be
// published to: non-empty, no empty token, no whitespace or control byte,
// and no wildcard token.
func checkPublishSubject(s string) error {
	if s == "" {
		return fmt.Errorf("cebind: subject is empty: %w", ErrInvalidSubject)
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			if c := s[i]; c <= ' ' || c == 0x7f {
				return fmt.Errorf("cebind: subject %q: byte %q at offset %d is not allowed: %w", s, c, i, ErrInvalidSubject)
			}
			continue
		}
		switch tok := s[start:i]; tok {
		case "":
			return fmt.Errorf("cebind: subject %q: empty token at offset %d: %w", s, i, ErrInvalidSubject)
		case "*", ">":
			return fmt.Errorf("cebind: subject %q: wildcard %q cannot be published to: %w", s, tok, ErrInvalidSubject)
		}
		start = i + 1
	}
	return nil
}
