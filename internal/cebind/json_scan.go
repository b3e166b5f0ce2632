package cebind

import (
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
)

// maxScanDepth is the deepest nesting of arrays and objects the one-pass
// batch reader follows; deeper bodies are left to the general parser.
const maxScanDepth = 512

// readBatchFast reads a Strict JSON batch in one pass: each byte of the
// body is scanned once, each member is handed to an objectReader as it is
// met, and string values without escapes are sliced from one copy of the
// body instead of decoded one by one. Data values share the body's bytes.
//
// It reports false when it cannot vouch for the result (the body is not
// well-formed JSON, not a non-empty array of objects, holds a member name
// with escapes, nests deeper than maxScanDepth, or an event breaks a rule):
// the caller then parses the body the general way, which finds and words
// the error exactly as before. It never accepts what that parser refuses
// (FuzzParseJSONBatchFast compares the two).
func readBatchFast(body []byte) ([]*event.Event, bool) {
	s := jsonScanner{b: body, str: string(body)}
	s.ws()
	if !s.eat('[') {
		return nil, false
	}
	s.ws()
	if s.peek() == ']' {
		return nil, false // empty: the general parser words the error
	}
	var (
		o      objectReader
		events = make([]*event.Event, 0, 1+len(body)/256)
	)
	for {
		s.ws()
		e, ok := s.object(&o)
		if !ok {
			return nil, false
		}
		events = append(events, e)
		s.ws()
		if s.eat(',') {
			continue
		}
		if !s.eat(']') {
			return nil, false
		}
		break
	}
	s.ws()
	if s.i != len(s.b) {
		return nil, false
	}
	return events, true
}

// jsonScanner walks a JSON text, validating as it goes.
type jsonScanner struct {
	b   []byte
	str string // b as a string: member names and plain values are sliced from it
	i   int
}

func (s *jsonScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *jsonScanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// object reads one event: an object whose members o applies.
func (s *jsonScanner) object(o *objectReader) (*event.Event, bool) {
	if !s.eat('{') {
		return nil, false
	}
	o.reset()
	s.ws()
	if !s.eat('}') {
		for {
			s.ws()
			start := s.i
			escaped, ok := s.string()
			if !ok || escaped {
				return nil, false
			}
			key := s.str[start+1 : s.i-1]
			s.ws()
			if !s.eat(':') {
				return nil, false
			}
			s.ws()
			v, ok := s.value(1)
			if !ok {
				return nil, false
			}
			if err := o.member(key, v); err != nil {
				return nil, false
			}
			s.ws()
			if s.eat(',') {
				continue
			}
			if !s.eat('}') {
				return nil, false
			}
			break
		}
	}
	e, err := o.event()
	return e, err == nil
}

// value reads one JSON value at depth (1 for a member of an event).
func (s *jsonScanner) value(depth int) (jsonValue, bool) {
	start := s.i
	var ok bool
	switch c := s.peek(); {
	case c == '"':
		var escaped bool
		escaped, ok = s.string()
		if ok && !escaped {
			return jsonValue{raw: s.b[start:s.i], str: s.str[start+1 : s.i-1], plain: true}, true
		}
	case c == '{':
		ok = s.skipObject(depth + 1)
	case c == '[':
		ok = s.skipArray(depth + 1)
	case c == 't':
		ok = s.literal("true")
	case c == 'f':
		ok = s.literal("false")
	case c == 'n':
		ok = s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		ok = s.number()
	}
	return jsonValue{raw: s.b[start:s.i]}, ok
}

// skip reads a nested value, which only needs to be valid.
func (s *jsonScanner) skip(depth int) bool {
	_, ok := s.value(depth)
	return ok
}

func (s *jsonScanner) skipObject(depth int) bool {
	if depth > maxScanDepth {
		return false
	}
	s.i++ // '{'
	s.ws()
	if s.eat('}') {
		return true
	}
	for {
		s.ws()
		if _, ok := s.string(); !ok {
			return false
		}
		s.ws()
		if !s.eat(':') {
			return false
		}
		s.ws()
		if !s.skip(depth) {
			return false
		}
		s.ws()
		if s.eat(',') {
			continue
		}
		return s.eat('}')
	}
}

func (s *jsonScanner) skipArray(depth int) bool {
	if depth > maxScanDepth {
		return false
	}
	s.i++ // '['
	s.ws()
	if s.eat(']') {
		return true
	}
	for {
		s.ws()
		if !s.skip(depth) {
			return false
		}
		s.ws()
		if s.eat(',') {
			continue
		}
		return s.eat(']')
	}
}

// string reads a string literal, reporting whether it holds escapes. It
// refuses control characters, bad escapes and invalid UTF-8.
func (s *jsonScanner) string() (escaped, ok bool) {
	if !s.eat('"') {
		return false, false
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return escaped, true
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.b) {
				return false, false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return false, false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !isHex(h) {
						return false, false
					}
				}
				s.i += 6
			default:
				return false, false
			}
		case c < 0x20:
			return false, false
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && n == 1 {
				return false, false
			}
			s.i += n
		}
	}
	return false, false
}

func (s *jsonScanner) literal(word string) bool {
	if len(s.b)-s.i < len(word) || s.str[s.i:s.i+len(word)] != word {
		return false
	}
	s.i += len(word)
	return true
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() bool {
	s.eat('-')
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return false
	}
	if s.eat('.') && !s.digits() {
		return false
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits reads one or more decimal digits.
func (s *jsonScanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
