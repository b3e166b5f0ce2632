package cebind

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go"
)

// DecodeMsg returns the event carried by a NATS message with headers h and
// payload data.
//
// A Content-Type of application/cloudevents+json (any parameters) selects
// structured mode: data is the event in the CloudEvents JSON format, with
// "data" or "data_base64", and "ce-" headers are ignored; other
// application/cloudevents formats and batches are rejected. Any other
// message is read in binary mode: attributes from "ce-" headers (names
// matched without regard to case, values raw), datacontenttype from
// Content-Type in any case (or a "ce-datacontenttype" header, as sdk-go
// writes it)
// and data from the payload. Only specversion 1.0 is accepted in binary
// mode; structured 0.3 events are converted to 1.0. The decoded event aliases data;
// an empty payload leaves it without data. In binary mode extension values
// come back as their canonical strings, because the headers carry no type;
// the types package converts them (types.ToInteger, types.ToBool, ...).
// DataBase64 is set when the data is not valid UTF-8, so a later JSON
// encoding of the event keeps the bytes.
//
// A message with a Nats-Msg-Id but no Fnmesh-Codec header was stored by an
// fnmesh that percent-encoded values: its values are percent-decoded, as
// they were then. Messages of other producers and of this version are raw.
//
// The event is validated (event.Validate) and held to the rules of
// EncodeMsg, so it can always be encoded again. Errors wrap
// ErrMalformedEvent; those about one attribute are *AttributeError values
// naming it.
func DecodeMsg(h nats.Header, data []byte) (*event.Event, error) {
	var (
		vals        [numAttrs]string
		seen        [numAttrs]bool
		contentType string
		hasCT       bool
		ext         map[string]any
	)
	dec := valueDecoder(h)
	// Errors in "ce-" headers only matter in binary mode, which is known
	// once Content-Type has been seen: keep the first one until then.
	var hdrErr error
	for k, vs := range h {
		if len(k) == len(hdrContentType) && strings.EqualFold(k, hdrContentType) {
			if hasCT || len(vs) != 1 {
				return nil, attrErr("datacontenttype", "Content-Type header must have exactly one value")
			}
			contentType, hasCT = vs[0], true
			continue
		}
		if hdrErr != nil || len(k) < len(hdrPrefix) || !strings.EqualFold(k[:len(hdrPrefix)], hdrPrefix) {
			continue
		}
		name := k[len(hdrPrefix):]
		if i := coreIndex(name); i >= 0 {
			if seen[i] || len(vs) != 1 {
				hdrErr = attrErr(attrName(i), "header %q must have exactly one value", hdrPrefix+attrName(i))
				continue
			}
			vals[i], seen[i] = vs[0], true
			continue
		}
		name = lowerASCII(name)
		if !isExtensionName(name) {
			hdrErr = attrErr(name, "header %q: extension names must be lower-case ASCII letters and digits, not a context attribute name or \"data\"", k)
			continue
		}
		if _, dup := ext[name]; dup || len(vs) != 1 {
			hdrErr = attrErr(name, "header %q must have exactly one value", hdrPrefix+name)
			continue
		}
		if ext == nil {
			ext = make(map[string]any, 4)
		}
		ext[name] = dec(vs[0])
	}

	if hasCT && isStructured(contentType) {
		return decodeStructured(contentType, data)
	}
	if hdrErr != nil {
		return nil, hdrErr
	}

	if !seen[attrSpecVersion] {
		return nil, attrErr("specversion", "missing: binary mode needs the %q header (or Content-Type %s for structured mode)", hdrSpecVersion, structuredJSONType)
	}
	if sv := dec(vals[attrSpecVersion]); sv != specVersion1 {
		return nil, attrErr("specversion", "%q is not supported, want %q", sv, specVersion1)
	}

	ec := &event.EventContextV1{
		ID:         dec(vals[attrID]),
		Type:       dec(vals[attrType]),
		Extensions: ext,
	}
	if seen[attrSource] {
		u, err := url.Parse(dec(vals[attrSource]))
		if err != nil {
			return nil, attrErr("source", "not a URI-reference: %w", err)
		}
		ec.Source = types.URIRef{URL: *u}
	}
	if seen[attrSubject] {
		s := dec(vals[attrSubject])
		ec.Subject = &s
	}
	if seen[attrTime] {
		t, err := types.ParseTime(dec(vals[attrTime]))
		if err != nil {
			return nil, attrErr("time", "not an RFC 3339 timestamp: %w", err)
		}
		ec.Time = &types.Timestamp{Time: t}
	}
	if seen[attrDataSchema] {
		u, err := url.Parse(dec(vals[attrDataSchema]))
		if err != nil {
			return nil, attrErr("dataschema", "not a URI: %w", err)
		}
		ec.DataSchema = &types.URI{URL: *u}
	}
	switch {
	case hasCT && seen[attrDataContentType] && dec(vals[attrDataContentType]) != contentType:
		return nil, attrErr("datacontenttype", "Content-Type %q and header %q disagree", contentType, hdrPrefix+"datacontenttype")
	case hasCT:
		ct := contentType
		ec.DataContentType = &ct
	case seen[attrDataContentType]:
		ct := dec(vals[attrDataContentType])
		ec.DataContentType = &ct
	}

	e := &event.Event{Context: ec}
	if len(data) > 0 {
		e.DataEncoded = data
		e.DataBase64 = !utf8.Valid(data)
	}
	if _, _, err := checkEvent(e); err != nil {
		return nil, err
	}
	return e, nil
}

// isStructured reports whether a Content-Type announces a structured-mode
// CloudEvent (application/cloudevents, any format, or a batch).
func isStructured(contentType string) bool {
	mt := strings.TrimSpace(contentType)
	return len(mt) >= len(structuredPrefix) && strings.EqualFold(mt[:len(structuredPrefix)], structuredPrefix)
}

// mediaType returns the lower-case media type of a Content-Type, without
// parameters.
func mediaType(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// decodeStructured decodes a structured-mode message.
func decodeStructured(contentType string, data []byte) (*event.Event, error) {
	switch mt := mediaType(contentType); mt {
	case structuredJSONType:
	case batchJSONType:
		return nil, attrErr("datacontenttype", "batch mode (%s) is not supported on NATS: one event per message", batchJSONType)
	default:
		return nil, attrErr("datacontenttype", "structured format %q is not supported, want %s", mt, structuredJSONType)
	}
	return decodeJSON(data)
}
