package functions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// ErrInvalidReply means a function answered with something that claims to be
// a CloudEvent but is not a valid one. It is permanent: the function ran, and
// running it again would repeat its side effects for the same broken answer.
var ErrInvalidReply = errors.New("invalid CloudEvent in reply")

// Media types of the CloudEvents JSON formats.
const (
	mediaStructured = "application/cloudevents+json"
	mediaBatch      = "application/cloudevents-batch+json"
)

// headerPrefix is the canonical form of the "ce-" header prefix.
const headerPrefix = "Ce-"

// maxReplyBytes bounds a reply body or an exec program's stdout; it matches
// the embedded server's maximum message payload.
const maxReplyBytes = 8 << 20

// encodeHeaderValue percent-encodes a header value as the CloudEvents HTTP
// binding requires: space, '"', '%' and every byte outside the printable
// ASCII range U+0021..U+007E (so each byte of a multi-byte UTF-8 character)
// become %XX.
func encodeHeaderValue(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if mustPercentEncode(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if mustPercentEncode(c) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xF])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func mustPercentEncode(c byte) bool {
	return c <= ' ' || c >= 0x7F || c == '"' || c == '%'
}

// decodeHeaderValue reverses encodeHeaderValue. A '%' not followed by two
// hex digits, or a result that is not UTF-8, is an error.
func decodeHeaderValue(s string) (string, error) {
	if !strings.Contains(s, "%") {
		if !utf8.ValidString(s) {
			return "", errors.New("value is not UTF-8")
		}
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("truncated percent-encoding at offset %d", i)
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", fmt.Errorf("invalid percent-encoding %q at offset %d", s[i:i+3], i)
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	if !utf8.Valid(b) {
		return "", errors.New("percent-decoded value is not UTF-8")
	}
	return string(b), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// writeBinaryHeaders sets the ce-* headers and Content-Type of e on h
// (CloudEvents HTTP binding, binary mode) and returns the body: the event's
// data, unchanged.
func writeBinaryHeaders(h http.Header, e *event.Event) ([]byte, error) {
	set := func(name, value string) {
		if value != "" {
			h.Set(headerPrefix+name, encodeHeaderValue(value))
		}
	}
	set("specversion", e.SpecVersion())
	set("id", e.ID())
	set("source", e.Source())
	set("type", e.Type())
	set("subject", e.Subject())
	set("dataschema", e.DataSchema())
	if t := e.Time(); !t.IsZero() {
		set("time", types.FormatTime(t))
	}
	ext := e.Extensions()
	names := make([]string, 0, len(ext))
	for name := range ext {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s, err := types.Format(ext[name])
		if err != nil {
			return nil, fmt.Errorf("extension %s: %w", name, err)
		}
		set(name, s)
	}
	if ct := e.DataContentType(); ct != "" {
		h.Set("Content-Type", ct)
	}
	return e.Data(), nil
}

// eventFromBinary reads an event in binary mode: attributes from ce-*
// headers (percent-decoded), datacontenttype from Content-Type, data from
// body.
func eventFromBinary(h http.Header, body []byte) (event.Event, error) {
	sv, err := headerAttr(h, headerPrefix+"Specversion")
	if err != nil {
		return event.Event{}, err
	}
	if sv != event.CloudEventsVersionV1 && sv != event.CloudEventsVersionV03 {
		return event.Event{}, fmt.Errorf("ce-specversion %q: must be %s or %s", sv, event.CloudEventsVersionV1, event.CloudEventsVersionV03)
	}
	e := event.New(sv)
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(k) <= len(headerPrefix) || !strings.EqualFold(k[:len(headerPrefix)], headerPrefix) {
			continue
		}
		name := strings.ToLower(k[len(headerPrefix):])
		v, err := headerAttr(h, k)
		if err != nil {
			return event.Event{}, err
		}
		switch name {
		case "specversion", "datacontenttype":
			// specversion is read above; in binary mode the content type
			// travels in Content-Type.
		case "id":
			e.SetID(v)
		case "source":
			e.SetSource(v)
		case "type":
			e.SetType(v)
		case "subject":
			e.SetSubject(v)
		case "dataschema":
			e.SetDataSchema(v)
		case "time":
			t, err := types.ParseTime(v)
			if err != nil {
				return event.Event{}, fmt.Errorf("ce-time %q: must be an RFC 3339 timestamp", v)
			}
			e.SetTime(t)
		default:
			if !event.IsExtensionNameValid(name) {
				return event.Event{}, fmt.Errorf("header %s: extension names must be ASCII letters and digits, at most %d", k, event.MaxExtensionNameLength)
			}
			e.SetExtension(name, v)
		}
	}
	if ct := h.Get("Content-Type"); ct != "" {
		e.SetDataContentType(ct)
	}
	if len(body) > 0 {
		e.DataEncoded = bytes.Clone(body)
	}
	if err := e.Validate(); err != nil {
		return event.Event{}, fmt.Errorf("binary-mode event: %w", err)
	}
	return e, nil
}

func headerAttr(h http.Header, key string) (string, error) {
	v, err := decodeHeaderValue(h.Get(key))
	if err != nil {
		return "", fmt.Errorf("header %s: %w", key, err)
	}
	return v, nil
}

// parseStructured reads events in the CloudEvents JSON format: one event
// object, or (batch) an array of them.
func parseStructured(body []byte) ([]event.Event, error) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(body, &raw); err != nil {
			return nil, fmt.Errorf("event batch: %w", err)
		}
		out := make([]event.Event, 0, len(raw))
		for i, r := range raw {
			e, err := parseStructuredOne(r)
			if err != nil {
				return nil, fmt.Errorf("event batch [%d]: %w", i, err)
			}
			out = append(out, e)
		}
		return out, nil
	}
	e, err := parseStructuredOne(body)
	if err != nil {
		return nil, err
	}
	return []event.Event{e}, nil
}

func parseStructuredOne(raw []byte) (event.Event, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return event.Event{}, errors.New("structured event: not a JSON object")
	}
	var e event.Event
	if err := json.Unmarshal(raw, &e); err != nil {
		return event.Event{}, fmt.Errorf("structured event: %w", err)
	}
	if err := e.Validate(); err != nil {
		return event.Event{}, fmt.Errorf("structured event: %w", err)
	}
	return e, nil
}
