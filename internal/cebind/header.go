package cebind

import "strings"

// Header names written by EncodeMsg. NATS keeps header names as they are
// sent, so they are written in the exact lower-case form of the CloudEvents
// NATS binding as sdk-go reads it ("ce-<name>", "content-type"); DecodeMsg
// matches them without regard to case. Fnmesh-Codec marks a message whose
// values are raw (see DecodeMsg for messages without it).
const (
	hdrPrefix          = "ce-"
	hdrSpecVersion     = "ce-specversion"
	hdrID              = "ce-id"
	hdrSource          = "ce-source"
	hdrType            = "ce-type"
	hdrSubject         = "ce-subject"
	hdrTime            = "ce-time"
	hdrDataSchema      = "ce-dataschema"
	hdrContentType     = "content-type"
	hdrCodec           = "Fnmesh-Codec"
	codecRaw           = "2"
	hdrMsgID           = "Nats-Msg-Id"
	specVersion1       = "1.0"
	structuredJSONType = "application/cloudevents+json"
	structuredPrefix   = "application/cloudevents"
	batchJSONType      = "application/cloudevents-batch+json"
)

// Indexes of the context attributes of CloudEvents 1.0.
const (
	attrSpecVersion = iota
	attrID
	attrSource
	attrType
	attrSubject
	attrTime
	attrDataSchema
	attrDataContentType
	numAttrs
)

// attrName returns the name of the context attribute with attr* index i.
func attrName(i int) string {
	switch i {
	case attrSpecVersion:
		return "specversion"
	case attrID:
		return "id"
	case attrSource:
		return "source"
	case attrType:
		return "type"
	case attrSubject:
		return "subject"
	case attrTime:
		return "time"
	case attrDataSchema:
		return "dataschema"
	case attrDataContentType:
		return "datacontenttype"
	}
	return ""
}

// coreIndex returns the attr* index of a context attribute name matched
// without regard to case, or -1 for an extension name.
func coreIndex(name string) int {
	var i int
	switch len(name) {
	case 2:
		i = attrID
	case 4:
		if strings.EqualFold(name, "type") {
			return attrType
		}
		i = attrTime
	case 6:
		i = attrSource
	case 7:
		i = attrSubject
	case 10:
		i = attrDataSchema
	case 11:
		i = attrSpecVersion
	case 15:
		i = attrDataContentType
	default:
		return -1
	}
	if strings.EqualFold(name, attrName(i)) {
		return i
	}
	return -1
}

// headerMustEscape reports whether byte c of an attribute value is
// percent-encoded in a header, as the CloudEvents HTTP binding asks: space,
// '"', '%' and everything outside printable ASCII.
func headerMustEscape(c byte) bool {
	return c <= ' ' || c >= 0x7f || c == '"' || c == '%'
}

// EscapeHTTPValue percent-encodes v for a header value. Values that need no
// escape are returned as they are, without allocating.
func EscapeHTTPValue(v string) string {
	n := 0
	for i := 0; i < len(v); i++ {
		if headerMustEscape(v[i]) {
			n++
		}
	}
	if n == 0 {
		return v
	}
	out := make([]byte, 0, len(v)+2*n)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if headerMustEscape(c) {
			out = append(out, '%', upperHex[c>>4], upperHex[c&0x0f])
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

// UnescapeHTTPValue reverses EscapeHTTPValue. Escapes may use either case of hex
// digit. A '%' that is not followed by two hex digits is kept as it is, so
// values from producers that do not percent-encode (a literal "100%") still
// decode to what they sent.
func UnescapeHTTPValue(v string) string {
	i := strings.IndexByte(v, '%')
	if i < 0 {
		return v
	}
	out := make([]byte, 0, len(v))
	out = append(out, v[:i]...)
	for ; i < len(v); i++ {
		c := v[i]
		if c == '%' && i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]) {
			out = append(out, unhex(v[i+1])<<4|unhex(v[i+2]))
			i += 2
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

// checkContentType reports why v cannot travel as a Content-Type header
// value unchanged, or "" when it can. Content-Type is not percent-encoded
// (readers of the header expect a plain media type), and NATS clients trim
// surrounding whitespace and replace CR and LF, so the value must be
// printable ASCII with no leading or trailing space.
func checkContentType(v string) string {
	if v == "" {
		return ""
	}
	if v[0] == ' ' || v[len(v)-1] == ' ' {
		return "must not start or end with a space to travel as the Content-Type header"
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' || c > '~' {
			return "must be printable ASCII to travel as the Content-Type header"
		}
	}
	return ""
}

// isExtensionName reports whether name is a valid extension attribute name:
// CheckName's rule under Lenient, and not a context attribute.
func isExtensionName(name string) bool {
	return coreIndex(name) < 0 && CheckName(name, Lenient) == nil
}

// lowerASCII lower-cases s, allocating only when s has an upper-case letter.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
