package cebind

import (
	"errors"
	"mime"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// eventBuilder collects the attributes of one event, checking each against
// the CloudEvents 1.0 rules as it is set.
type eventBuilder struct {
	rules       Rules
	ec          event.EventContextV1
	specversion bool
	id, typ     bool
	source      bool
	// sources, if not nil, remembers parsed sources across events.
	sources *sourceCache
	// sourceStr is ec.Source.String() when sources had it, else "".
	sourceStr string
}

// sourceCache holds the last source an eventBuilder parsed.
type sourceCache struct {
	s   string       // as given
	u   types.URIRef // parsed
	str string       // u.String()
	ok  bool
}

// CheckName checks an attribute or extension name: lower-case ASCII
// letters and digits, not empty, not "data" (which the JSON format
// reserves), and under Strict at most MaxNameLen characters. It is the one
// name rule of every reader and writer.
func CheckName(name string, r Rules) error {
	if name == "" {
		return ruleErr("", RuleNameEmpty)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return ruleErr(name, RuleNameChars)
		}
	}
	if r == Strict && len(name) > MaxNameLen {
		return ruleErr(name, RuleNameLen)
	}
	if name == "data" {
		return ruleErr(name, RuleNameReserved)
	}
	return nil
}

// CheckString applies the CloudEvents String rules: no control characters
// (U+0000-U+001F, U+007F-U+009F) and no Unicode noncharacters. Unpaired
// surrogates cannot occur in valid UTF-8 and are caught earlier.
func CheckString(attr, s string) error {
	if !utf8.ValidString(s) {
		return ruleErr(attr, RuleUTF8)
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || isNonCharacter(r) {
			return ruleErr(attr, RuleChars)
		}
	}
	return nil
}

func isNonCharacter(r rune) bool {
	return (r >= 0xfdd0 && r <= 0xfdef) || r&0xfffe == 0xfffe
}

// setString sets attribute name to the string v (every attribute in binary
// mode, string members in structured mode).
func (b *eventBuilder) setString(name, v string) error {
	if err := CheckName(name, b.rules); err != nil {
		return err
	}
	if b.rules == Strict {
		if err := CheckString(name, v); err != nil {
			return err
		}
	} else if !utf8.ValidString(v) {
		return ruleErr(name, RuleUTF8)
	}
	switch name {
	case "specversion":
		if v != event.CloudEventsVersionV1 {
			return ruleErr(name, RuleSpecVersion)
		}
		b.specversion = true
	case "id":
		if IsBlank(v) {
			return ruleErr(name, RuleNonEmpty)
		}
		b.ec.ID, b.id = v, true
	case "type":
		if IsBlank(v) {
			return ruleErr(name, RuleNonEmpty)
		}
		b.ec.Type, b.typ = v, true
	case "source":
		if IsBlank(v) {
			return ruleErr(name, RuleNonEmpty)
		}
		if c := b.sources; c != nil && c.ok && c.s == v {
			b.ec.Source, b.source, b.sourceStr = c.u, true, c.str
			break
		}
		u, ok := ParseURIRef(v)
		if !ok {
			return ruleErr(name, RuleURIRef)
		}
		b.ec.Source, b.source = types.URIRef{URL: *u}, true
		if c := b.sources; c != nil {
			*c = sourceCache{s: v, u: b.ec.Source, str: b.ec.Source.String(), ok: true}
			b.sourceStr = c.str
		}
	case "subject":
		if IsBlank(v) {
			return ruleErr(name, RuleNonEmpty)
		}
		s := v // v itself would escape in every call
		b.ec.Subject = &s
	case "datacontenttype":
		if IsBlank(v) {
			return ruleErr(name, RuleNonEmpty)
		}
		if !printableASCII(v) || v[0] == ' ' || v[len(v)-1] == ' ' {
			return ruleErr(name, RuleMediaType)
		}
		if !isSimpleMediaType(v) { // a plain type/subtype is valid as it is
			if _, _, err := mime.ParseMediaType(v); err != nil {
				return ruleErr(name, RuleMediaType)
			}
		}
		s := v
		b.ec.DataContentType = &s
	case "dataschema":
		if IsBlank(v) {
			return ruleErr(name, RuleNonEmpty)
		}
		u, ok := ParseURIRef(v)
		if !ok || !u.IsAbs() {
			return ruleErr(name, RuleURI)
		}
		b.ec.DataSchema = &types.URI{URL: *u}
	case "time":
		t, err := parseCETime(v)
		if err != nil {
			return ruleErr(name, RuleTime)
		}
		b.ec.Time = &types.Timestamp{Time: t}
	default:
		b.setExtension(name, v)
	}
	return nil
}

// IsBlank reports whether s is empty or only white space (the Go SDK, used by
// consumers, treats such values as missing).
func IsBlank(s string) bool { return strings.TrimSpace(s) == "" }

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// setExtension stores an extension value already checked (string, int32 or
// bool) under a checked name.
func (b *eventBuilder) setExtension(name string, v any) {
	if b.ec.Extensions == nil {
		b.ec.Extensions = make(map[string]any, 4)
	}
	b.ec.Extensions[name] = v
}

// IsCoreAttribute reports whether name is a CloudEvents 1.0 context attribute
// (as opposed to an extension).
func IsCoreAttribute(name string) bool {
	switch name {
	case "specversion", "id", "type", "source", "subject", "datacontenttype", "dataschema", "time":
		return true
	}
	return false
}

// build checks the REQUIRED attributes and returns the event.
func (b *eventBuilder) build() (*event.Event, error) {
	switch {
	case !b.specversion:
		return nil, ruleErr("specversion", RuleRequired)
	case !b.id:
		return nil, ruleErr("id", RuleRequired)
	case !b.source:
		return nil, ruleErr("source", RuleRequired)
	case !b.typ:
		return nil, ruleErr("type", RuleRequired)
	}
	ec := &event.EventContextV1{}
	*ec = b.ec
	e := &event.Event{Context: ec}
	if b.rules == Strict {
		src := b.sourceStr
		if src == "" {
			src = ec.Source.String()
		}
		if err := checkBounds(ec, src, Strict); err != nil {
			return nil, err
		}
		// What ingest accepts can be stored as it was given.
		if err := checkNATSValues(ec, src); err != nil {
			return nil, err
		}
	}
	// The rules above are a superset of the SDK's; this keeps it that way
	// (validFast is its rules without allocating).
	if validFast(e, ec) {
		return e, nil
	}
	if err := e.Validate(); err != nil {
		var ve event.ValidationError
		if errors.As(err, &ve) {
			for name, why := range ve {
				return nil, ruleErr(name, why.Error())
			}
		}
		return nil, ruleErr("", err.Error())
	}
	return e, nil
}

// parseCETime parses an RFC 3339 timestamp (the "T" and "Z" may be lower case,
// as RFC 3339 section 5.6 allows).
func parseCETime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, strings.ToUpper(s))
}

// ParseURIRef parses an RFC 3986 URI-reference: only the characters RFC
// 3986 allows, every "%" followed by two hex digits, and a structure
// net/url accepts.
func ParseURIRef(s string) (*url.URL, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return nil, false
			}
			i += 2
		case !uriChar(c):
			return nil, false
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, false
	}
	return u, true
}

// uriChar reports whether c is an RFC 3986 unreserved or reserved character.
func uriChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", c) >= 0
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
