package cebind

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
)

// HasBinaryHeaders reports whether any header of h starts with "ce-" (any
// case): a request or answer in the HTTP binding's binary mode.
func HasBinaryHeaders(h http.Header) bool {
	for k := range h {
		if len(k) > len(hdrPrefix) && strings.EqualFold(k[:len(hdrPrefix)], hdrPrefix) {
			return true
		}
	}
	return false
}

// ReadBinary reads an event in the CloudEvents HTTP binding's binary mode:
// the "ce-" headers of h are the attributes (names matched without regard
// to case), its Content-Type is datacontenttype and body, byte for byte, is
// data (the event aliases body). Only specversion 1.0 is read.
//
// Every attribute header must appear once with one value, and the
// datacontenttype travels as Content-Type, never as a "ce-" header. Values
// are percent-decoded (a '%' that does not start an escape is an error),
// and must then be UTF-8; Strict also unquotes RFC 7230 quoted strings
// first. Attributes are held to r (see Rules).
//
// Errors wrap ErrMalformedEvent and are *AttributeError values naming the
// attribute; with several bad headers the error is about the first in name
// order.
func ReadBinary(h http.Header, body []byte, r Rules) (*event.Event, error) {
	names := make([]string, 0, 8)
	for k := range h {
		if len(k) >= len(hdrPrefix) && strings.EqualFold(k[:len(hdrPrefix)], hdrPrefix) {
			names = append(names, k)
		}
	}
	slices.Sort(names) // deterministic: the first bad header is always the same one
	b := eventBuilder{rules: r}
	for _, k := range names {
		name := strings.ToLower(k[len(hdrPrefix):])
		vals := h[k]
		if name == "datacontenttype" {
			return nil, ruleErr(name, RuleCEContentType)
		}
		if len(vals) != 1 {
			return nil, ruleErr(name, RuleOnce)
		}
		v, err := decodeHTTPValue(name, vals[0], r)
		if err != nil {
			return nil, err
		}
		if err := b.setString(name, v); err != nil {
			return nil, err
		}
	}
	if ct := h.Get("Content-Type"); ct != "" {
		if err := b.setString("datacontenttype", ct); err != nil {
			return nil, err
		}
	}
	e, err := b.build()
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		e.DataEncoded = body
	}
	return e, nil
}

// decodeHTTPValue undoes the HTTP binding's header encoding: under Strict,
// RFC 7230 quoted strings (with backslash escapes) are unquoted first; then
// one round of percent-decoding is done. The result must be valid UTF-8.
func decodeHTTPValue(attr, v string, r Rules) (string, error) {
	if r == Strict && strings.IndexByte(v, '"') >= 0 {
		var err error
		if v, err = unquote(attr, v); err != nil {
			return "", err
		}
	}
	if strings.IndexByte(v, '%') >= 0 {
		buf := make([]byte, 0, len(v))
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c != '%' {
				buf = append(buf, c)
				continue
			}
			if i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2]) {
				return "", ruleErr(attr, RulePercent)
			}
			buf = append(buf, unhex(v[i+1])<<4|unhex(v[i+2]))
			i += 2
		}
		v = string(buf)
	}
	if !utf8.ValidString(v) {
		return "", ruleErr(attr, RuleUTF8)
	}
	return v, nil
}

// unquote replaces every quoted string in v by its content.
func unquote(attr, v string) (string, error) {
	var sb strings.Builder
	sb.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '"' {
			sb.WriteByte(c)
			continue
		}
		closed := false
		for i++; i < len(v); i++ {
			c = v[i]
			if c == '\\' && i+1 < len(v) {
				i++
				sb.WriteByte(v[i])
				continue
			}
			if c == '"' {
				closed = true
				break
			}
			sb.WriteByte(c)
		}
		if !closed {
			return "", ruleErr(attr, RuleQuoted)
		}
	}
	return sb.String(), nil
}
