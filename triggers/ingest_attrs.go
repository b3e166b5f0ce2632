package triggers

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

// maxNameLen is the longest attribute name accepted. The CloudEvents spec
// says names SHOULD NOT exceed 20 characters; fnmesh enforces it.
const maxNameLen = 20

// eventBuilder collects the attributes of one event, checking each against
// the CloudEvents 1.0 rules as it is set.
type eventBuilder struct {
	ec          event.EventContextV1
	specversion bool
	id, typ     bool
	source      bool
}

// checkName checks an attribute or extension name: [a-z0-9]{1,20}, and not
// one the JSON format reserves.
func checkName(name string) error {
	if name == "" {
		return attrErr("", ruleNameEmpty)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return attrErr(name, ruleNameChars)
		}
	}
	if len(name) > maxNameLen {
		return attrErr(name, ruleNameLen)
	}
	if name == "data" {
		return attrErr(name, ruleNameReserved)
	}
	return nil
}

// checkString applies the CloudEvents String rules: no control characters
// (U+0000-U+001F, U+007F-U+009F) and no Unicode noncharacters. Unpaired
// surrogates cannot occur in valid UTF-8 and are caught earlier.
func checkString(attr, s string) error {
	if !utf8.ValidString(s) {
		return attrErr(attr, ruleUTF8)
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || isNonCharacter(r) {
			return attrErr(attr, ruleChars)
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
	if err := checkName(name); err != nil {
		return err
	}
	if err := checkString(name, v); err != nil {
		return err
	}
	switch name {
	case "specversion":
		if v != event.CloudEventsVersionV1 {
			return attrErr(name, ruleSpecVersion)
		}
		b.specversion = true
	case "id":
		if isBlank(v) {
			return attrErr(name, ruleNonEmpty)
		}
		b.ec.ID, b.id = v, true
	case "type":
		if isBlank(v) {
			return attrErr(name, ruleNonEmpty)
		}
		b.ec.Type, b.typ = v, true
	case "source":
		if isBlank(v) {
			return attrErr(name, ruleNonEmpty)
		}
		u, ok := parseURIRef(v)
		if !ok {
			return attrErr(name, ruleURIRef)
		}
		b.ec.Source, b.source = types.URIRef{URL: *u}, true
	case "subject":
		if isBlank(v) {
			return attrErr(name, ruleNonEmpty)
		}
		b.ec.Subject = &v
	case "datacontenttype":
		if isBlank(v) {
			return attrErr(name, ruleNonEmpty)
		}
		if !printableASCII(v) || v[0] == ' ' || v[len(v)-1] == ' ' {
			return attrErr(name, ruleMediaType)
		}
		if _, _, err := mime.ParseMediaType(v); err != nil {
			return attrErr(name, ruleMediaType)
		}
		b.ec.DataContentType = &v
	case "dataschema":
		if isBlank(v) {
			return attrErr(name, ruleNonEmpty)
		}
		u, ok := parseURIRef(v)
		if !ok || !u.IsAbs() {
			return attrErr(name, ruleURI)
		}
		b.ec.DataSchema = &types.URI{URL: *u}
	case "time":
		t, err := parseCETime(v)
		if err != nil {
			return attrErr(name, ruleTime)
		}
		b.ec.Time = &types.Timestamp{Time: t}
	default:
		b.setExtension(name, v)
	}
	return nil
}

// blank reports whether s is empty or only white space (the Go SDK, used by
// consumers, treats such values as missing).
func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

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

// isCoreAttribute reports whether name is a CloudEvents 1.0 context attribute
// (as opposed to an extension).
func isCoreAttribute(name string) bool {
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
		return nil, attrErr("specversion", ruleRequired)
	case !b.id:
		return nil, attrErr("id", ruleRequired)
	case !b.source:
		return nil, attrErr("source", ruleRequired)
	case !b.typ:
		return nil, attrErr("type", ruleRequired)
	}
	ec := b.ec
	e := &event.Event{Context: &ec}
	// The rules above are a superset of the SDK's; this keeps it that way.
	if err := e.Validate(); err != nil {
		var ve event.ValidationError
		if errors.As(err, &ve) {
			for name, why := range ve {
				return nil, attrErr(name, why.Error())
			}
		}
		return nil, attrErr("", err.Error())
	}
	return e, nil
}

// parseCETime parses an RFC 3339 timestamp (the "T" and "Z" may be lower case,
// as RFC 3339 section 5.6 allows).
func parseCETime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, strings.ToUpper(s))
}

// parseURIRef parses an RFC 3986 URI-reference: only the characters RFC
// 3986 allows, every "%" followed by two hex digits, and a structure
// net/url accepts.
func parseURIRef(s string) (*url.URL, bool) {
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
