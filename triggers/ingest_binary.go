package triggers

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
)

// cePrefix starts the header of every attribute in binary mode.
const cePrefix = "ce-"

// hasCEHeaders reports whether any header starts with "ce-" (any case).
func hasCEHeaders(h http.Header) bool {
	for k := range h {
		if len(k) > len(cePrefix) && strings.EqualFold(k[:len(cePrefix)], cePrefix) {
			return true
		}
	}
	return false
}

// parseBinary builds an event from a binary-mode request: ce-* headers are
// the attributes, Content-Type is datacontenttype and the body is data.
func parseBinary(h http.Header, contentType string, body []byte) (*event.Event, error) {
	names := make([]string, 0, 8)
	for k := range h {
		if len(k) >= len(cePrefix) && strings.EqualFold(k[:len(cePrefix)], cePrefix) {
			names = append(names, k)
		}
	}
	slices.Sort(names) // deterministic: the first bad header is always the same one
	var b eventBuilder
	for _, k := range names {
		name := strings.ToLower(k[len(cePrefix):])
		vals := h[k]
		if name == "datacontenttype" {
			return nil, attrErr(name, ruleCEContentType)
		}
		if len(vals) != 1 {
			return nil, attrErr(name, ruleOnce)
		}
		v, err := decodeHeaderValue(name, vals[0])
		if err != nil {
			return nil, err
		}
		if err := b.setString(name, v); err != nil {
			return nil, err
		}
	}
	if contentType != "" {
		if err := b.setString("datacontenttype", contentType); err != nil {
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

// decodeHeaderValue undoes the HTTP binding's header encoding: first RFC
// 7230 quoted strings (with backslash escapes) are unquoted, then one round
// of percent-decoding is done. The result must be valid UTF-8.
func decodeHeaderValue(attr, v string) (string, error) {
	if strings.IndexByte(v, '"') >= 0 {
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
				return "", attrErr(attr, rulePercent)
			}
			buf = append(buf, unhex(v[i+1])<<4|unhex(v[i+2]))
			i += 2
		}
		v = string(buf)
	}
	if !utf8.ValidString(v) {
		return "", attrErr(attr, ruleUTF8)
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
			return "", attrErr(attr, ruleQuoted)
		}
	}
	return sb.String(), nil
}
