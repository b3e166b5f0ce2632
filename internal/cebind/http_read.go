package cebind

import (
	"encoding/json"
	"errors"
	"fmt"
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
// are percent-decoded where a '%' starts a valid escape and kept as they
// are otherwise (so what sdk-go's HTTP client sends, which does not
// percent-encode, arrives as sent unless it looks like an escape), quotes
// included, and must then be UTF-8. Attributes are held to r (see Rules).
// Under Strict, data declared JSON by its Content-Type must be JSON.
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
		name, ok := canonicalAttrHeaders[k]
		if !ok {
			name = strings.ToLower(k[len(hdrPrefix):])
		}
		vals := h[k]
		if name == "datacontenttype" {
			return nil, ruleErr(name, RuleCEContentType)
		}
		if len(vals) != 1 {
			return nil, ruleErr(name, RuleOnce)
		}
		v, err := decodeHTTPValue(name, vals[0])
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
		if r == Strict {
			if ct := e.DataContentType(); IsJSONMediaType(ct) {
				if err := checkJSONData(ct, body); err != nil {
					return nil, err
				}
			}
		}
		e.DataEncoded = body
	}
	return e, nil
}

// canonicalAttrHeaders maps the canonical form of the context attributes
// headers, as net/http stores them, to the attribute names, so the usual
// request needs no lower-casing.
var canonicalAttrHeaders = map[string]string{
	"Ce-Specversion": "specversion", "Ce-Id": "id", "Ce-Source": "source", "Ce-Type": "type",
	"Ce-Subject": "subject", "Ce-Time": "time", "Ce-Dataschema": "dataschema",
	"Ce-Datacontenttype": "datacontenttype",
}

// checkJSONData refuses data that its JSON content type ct says is JSON
// but is not, naming the content type.
func checkJSONData(ct string, data []byte) error {
	if json.Valid(data) {
		return nil
	}
	var v any
	var se *json.SyntaxError
	if err := json.Unmarshal(data, &v); errors.As(err, &se) {
		return ruleErr("data", fmt.Sprintf("must be valid JSON, as Content-Type %q says (offset %d: %s)", ct, se.Offset, se.Error()))
	}
	return ruleErr("data", fmt.Sprintf("must be valid JSON, as Content-Type %q says", ct))
}

// decodeHTTPValue undoes the HTTP binding's header encoding the way the
// standard SDKs need it: valid percent-escapes are decoded, a '%' that does
// not start one is kept as it is (sdk-go does not percent-encode, so
// "100%" arrives as it is), and double quotes are data, not RFC 7230
// quoting. The result must be valid UTF-8.
func decodeHTTPValue(attr, v string) (string, error) {
	v = UnescapeHTTPValue(v)
	if !utf8.ValidString(v) {
		return "", ruleErr(attr, RuleUTF8)
	}
	return v, nil
}
