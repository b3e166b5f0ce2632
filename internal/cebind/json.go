package cebind

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"slices"
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
// Under Strict a well-formed batch is read in one pass (readBatchFast);
// any other body goes the general way, which words the error.
func parseBatch(body []byte, r Rules) ([]*event.Event, error) {
	if r == Strict {
		if events, ok := readBatchFast(body); ok {
			return events, nil
		}
	}
	return parseBatchGeneral(body, r)
}

// parseBatchGeneral parses a JSON batch by checking the body, splitting
// the array, then parsing each element on its own.
func parseBatchGeneral(body []byte, r Rules) ([]*event.Event, error) {
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
	var o objectReader
	o.reset()
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
		if err := o.member(key, jsonValue{raw: v}); err != nil {
			return nil, err
		}
	}
	return o.event()
}

// jsonValue is one member value of a structured event: its JSON text and,
// for a string without escapes, its content.
type jsonValue struct {
	raw []byte
	// str is the content of a string literal without escapes, valid when
	// plain is true.
	str   string
	plain bool
}

// objectReader builds one event from the members of a JSON object, in
// order, applying every rule of the JSON format. The batch parser reuses
// one for all its events.
type objectReader struct {
	b                 eventBuilder
	seen              []string
	seenSet           map[string]struct{} // past maxSeenList names
	data, dataBase64  jsonValue
	hasData, hasDataB bool
	// sources remembers the last source parsed: the events of a batch
	// mostly share it.
	sources sourceCache
}

// maxSeenList is how many member names objectReader compares one by one
// before it uses a map.
const maxSeenList = 16

// reset prepares o for the next object.
func (o *objectReader) reset() {
	o.b = eventBuilder{rules: Strict, sources: &o.sources}
	o.seen = o.seen[:0]
	if o.seenSet != nil {
		clear(o.seenSet)
	}
	o.data, o.dataBase64 = jsonValue{}, jsonValue{}
	o.hasData, o.hasDataB = false, false
}

// once reports whether key is seen for the first time in this object.
func (o *objectReader) once(key string) bool {
	if len(o.seen) < maxSeenList {
		if slices.Contains(o.seen, key) {
			return false
		}
		o.seen = append(o.seen, key)
		return true
	}
	if slices.Contains(o.seen, key) {
		return false
	}
	if o.seenSet == nil {
		o.seenSet = make(map[string]struct{}, maxSeenList)
	}
	if _, dup := o.seenSet[key]; dup {
		return false
	}
	o.seenSet[key] = struct{}{}
	return true
}

// member applies one member of the object.
func (o *objectReader) member(key string, v jsonValue) error {
	if !o.once(key) {
		return ruleErr(key, RuleOnce)
	}
	switch key {
	case "data":
		o.data, o.hasData = v, true
		return nil
	case "data_base64":
		if !isJSONNull(v.raw) {
			o.dataBase64, o.hasDataB = v, true
		}
		return nil
	}
	if err := CheckName(key, Strict); err != nil {
		return err
	}
	if isJSONNull(v.raw) {
		return nil // the JSON format: null is the same as absent
	}
	return setJSONMember(&o.b, key, v)
}

// event checks the object as a whole and returns its event.
func (o *objectReader) event() (*event.Event, error) {
	e, err := o.b.build()
	if err != nil {
		return nil, err
	}
	if o.hasData && o.hasDataB {
		return nil, ruleErr("data", RuleDataExclusive)
	}
	switch {
	case o.hasDataB:
		s, err := o.dataBase64.string("data_base64")
		if err != nil {
			return nil, err
		}
		d, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, ruleErr("data_base64", RuleBase64)
		}
		e.DataEncoded, e.DataBase64 = d, true
	case o.hasData:
		if err := setJSONData(e, o.data); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// string decodes v as a JSON string (see jsonString).
func (v jsonValue) string(attr string) (string, error) {
	if v.plain {
		return v.str, nil
	}
	return jsonString(attr, v.raw)
}

// setJSONMember sets an attribute from its JSON value: core attributes must
// be strings; extensions may be strings, integers or booleans.
func setJSONMember(b *eventBuilder, key string, jv jsonValue) error {
	v := jv.raw
	switch v[0] {
	case '"':
		s, err := jv.string(key)
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
func setJSONData(e *event.Event, jv jsonValue) error {
	data := jv.raw
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
	s, err := jv.string("data")
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
