package cebind

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
)

// checkJSONBody checks that body is UTF-8 and one JSON value.
func checkJSONBody(body []byte) error {
	if i := invalidUTF8At(body); i >= 0 {
		return ruleErr("", fmt.Sprintf("%s (invalid byte at offset %d)", RuleUTF8, i))
	}
	if !json.Valid(body) {
		var v any
		err := json.Unmarshal(body, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return ruleErr("", fmt.Sprintf("must be valid JSON (offset %d: %s)", se.Offset, se.Error()))
		}
		return ruleErr("", "must be valid JSON")
	}
	return nil
}

// parseBatch parses a JSON batch (application/cloudevents-batch+json),
// each event with parseObject under Strict and decodeJSON under Lenient.
func parseBatch(body []byte, r Rules) ([]*event.Event, error) {
	parse := decodeJSON
	if r == Strict {
		if err := checkJSONBody(body); err != nil {
			return nil, err
		}
		parse = parseObject
	}
	if firstJSONByte(body) != '[' {
		return nil, ruleErr("", RuleBodyArray)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return nil, ruleErr("", RuleBodyArray)
	}
	if len(raws) == 0 && r == Strict {
		return nil, ruleErr("", RuleBodyEmptyBatch)
	}
	events := make([]*event.Event, len(raws))
	for i, raw := range raws {
		e, err := parse(raw)
		if err != nil {
			return nil, &BatchError{Index: i, Err: err}
		}
		events[i] = e
	}
	return events, nil
}

// parseStructured parses one event in the JSON format
// (application/cloudevents+json).
func parseStructured(body []byte) (*event.Event, error) {
	if err := checkJSONBody(body); err != nil {
		return nil, err
	}
	return parseObject(body)
}

// parseObject builds an event from one JSON object already known to be
// valid UTF-8 JSON.
func parseObject(raw []byte) (*event.Event, error) {
	if firstJSONByte(raw) != '{' {
		return nil, ruleErr("", RuleBodyObject)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // the '{'
		return nil, ruleErr("", RuleBodyObject)
	}
	var (
		b                 = eventBuilder{rules: Strict}
		seen              = make(map[string]struct{}, 12)
		data, dataBase64  json.RawMessage
		hasData, hasDataB bool
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, ruleErr("", RuleBodyObject)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, ruleErr(key, "value must be valid JSON")
		}
		if _, dup := seen[key]; dup {
			return nil, ruleErr(key, RuleOnce)
		}
		seen[key] = struct{}{}
		switch key {
		case "data":
			data, hasData = v, true
			continue
		case "data_base64":
			if !isJSONNull(v) {
				dataBase64, hasDataB = v, true
			}
			continue
		}
		if err := CheckName(key, Strict); err != nil {
			return nil, err
		}
		if isJSONNull(v) {
			continue // the JSON format: null is the same as absent
		}
		if err := setJSONMember(&b, key, v); err != nil {
			return nil, err
		}
	}
	e, err := b.build()
	if err != nil {
		return nil, err
	}
	if hasData && hasDataB {
		return nil, ruleErr("data", RuleDataExclusive)
	}
	switch {
	case hasDataB:
		s, err := jsonString("data_base64", dataBase64)
		if err != nil {
			return nil, err
		}
		d, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, ruleErr("data_base64", RuleBase64)
		}
		e.DataEncoded, e.DataBase64 = d, true
	case hasData:
		if err := setJSONData(e, data); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// setJSONMember sets an attribute from its JSON value: core attributes must
// be strings; extensions may be strings, integers or booleans.
func setJSONMember(b *eventBuilder, key string, v json.RawMessage) error {
	switch v[0] {
	case '"':
		s, err := jsonString(key, v)
		if err != nil {
			return err
		}
		return b.setString(key, s)
	case 't', 'f':
		if IsCoreAttribute(key) {
			return ruleErr(key, RuleString)
		}
		b.setExtension(key, v[0] == 't')
		return nil
	case '{', '[':
		if IsCoreAttribute(key) {
			return ruleErr(key, RuleString)
		}
		return ruleErr(key, RuleExtValue)
	default: // a number
		if IsCoreAttribute(key) {
			return ruleErr(key, RuleString)
		}
		n, err := strconv.ParseInt(string(v), 10, 32)
		if err != nil {
			return ruleErr(key, RuleInteger)
		}
		b.setExtension(key, int32(n))
		return nil
	}
}

// setJSONData sets the event's data from the "data" member. With a JSON
// datacontenttype (or none, which means application/json) the JSON value is
// the data, byte for byte; otherwise data must be a JSON string and its
// content is the data.
func setJSONData(e *event.Event, data json.RawMessage) error {
	ct := e.DataContentType()
	if ct == "" || IsJSONMediaType(ct) {
		if ct == "" {
			// The JSON format: absent means application/json, and a
			// re-serialized event SHOULD say so explicitly.
			e.SetDataContentType(event.ApplicationJSON)
		}
		e.DataEncoded = data
		return nil
	}
	if data[0] != '"' {
		return ruleErr("data", RuleDataString)
	}
	s, err := jsonString("data", data)
	if err != nil {
		return err
	}
	e.DataEncoded = []byte(s)
	return nil
}

// IsJSONMediaType reports whether ct declares JSON content: "*/json" or
// "*/*+json", parameters ignored.
func IsJSONMediaType(ct string) bool {
	if isSimpleMediaType(ct) { // no parameters: nothing to parse
		_, sub, _ := strings.Cut(ct, "/")
		return strings.EqualFold(sub, "json") || len(sub) >= 5 && strings.EqualFold(sub[len(sub)-5:], "+json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	_, sub, _ := strings.Cut(mt, "/")
	return sub == "json" || strings.HasSuffix(sub, "+json")
}

// jsonString decodes a JSON string value, rejecting unpaired surrogate
// escapes (which encoding/json would silently replace).
func jsonString(attr string, v json.RawMessage) (string, error) {
	if len(v) == 0 || v[0] != '"' {
		return "", ruleErr(attr, RuleString)
	}
	if hasUnpairedSurrogate(v) {
		return "", ruleErr(attr, RuleSurrogate)
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", ruleErr(attr, RuleString)
	}
	return s, nil
}

// hasUnpairedSurrogate scans a JSON string literal for a \uD800-\uDBFF
// escape not followed by a \uDC00-\uDFFF escape, or a lone \uDC00-\uDFFF.
func hasUnpairedSurrogate(v []byte) bool {
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' {
			continue
		}
		if i+1 < len(v) && v[i+1] != 'u' {
			i++ // a one-character escape, e.g. \\ or \"
			continue
		}
		r, ok := hexEscape(v, i)
		if !ok {
			continue
		}
		switch {
		case r >= 0xd800 && r <= 0xdbff:
			lo, ok := hexEscape(v, i+6)
			if !ok || lo < 0xdc00 || lo > 0xdfff {
				return true
			}
			i += 11
		case r >= 0xdc00 && r <= 0xdfff:
			return true
		default:
			i += 5
		}
	}
	return false
}

// hexEscape reads the \uXXXX escape at v[i:].
func hexEscape(v []byte, i int) (rune, bool) {
	if i+6 > len(v) || v[i] != '\\' || v[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range v[i+2 : i+6] {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}

func isJSONNull(v json.RawMessage) bool { return string(v) == "null" }

func firstJSONByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// invalidUTF8At returns the offset of the first byte that is not valid
// UTF-8, or -1.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}
