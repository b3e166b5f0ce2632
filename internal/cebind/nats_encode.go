package cebind

import (
	"errors"
	"fmt"
	"mime"
	"slices"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go"
)

// EncodeMsg builds the NATS message for e in the CloudEvents NATS binding's
// binary mode:
//
//   - "ce-specversion", "ce-id", "ce-source", "ce-type" and, when set,
//     "ce-subject", "ce-time" (RFC 3339 with nanoseconds, UTC) and
//     "ce-dataschema" headers;
//   - a "ce-<name>" header for every extension, holding the canonical string
//     form of its value (integers in decimal, booleans as true/false, binary
//     in base64, timestamps in RFC 3339);
//   - "content-type" = datacontenttype, when set;
//   - Nats-Msg-Id = DedupID(source, id) and Fnmesh-Codec: 2;
//   - the event's data, unchanged, as the payload (the message shares the
//     event's DataEncoded slice).
//
// Header values are raw, as the CloudEvents NATS binding (and sdk-go's
// nats_jetstream binding) writes and reads them; a value holding CR or LF,
// or white space at either end, cannot travel in a NATS header and is an
// *AttributeError naming it. The event must be within the bounds
// (CheckBounds under Lenient) and the subject at most MaxSubjectBytes; the
// errors then also wrap ErrOverLimit. A CloudEvents 0.3 event is converted
// to 1.0 first.
//
// The event must be valid (event.Validate), extension names must be
// lower-case ASCII letters and digits, and datacontenttype must be printable
// ASCII without surrounding spaces; otherwise the error wraps
// ErrMalformedEvent and names the attribute. A subject that cannot be
// published to is an error wrapping ErrInvalidSubject.
func EncodeMsg(subject string, e *event.Event) (*nats.Msg, error) {
	if err := checkPublishSubject(subject); err != nil {
		return nil, err
	}
	if err := checkSubjectBound(subject); err != nil {
		return nil, err
	}
	ec, source, err := checkEvent(e)
	if err != nil {
		return nil, err
	}
	if err := checkBounds(ec, source, Lenient); err != nil {
		return nil, err
	}

	// One backing array for all single-value header slices keeps the
	// allocations per message constant; two spare map slots leave room for
	// headers the publisher adds (trace context).
	n := 6 + len(ec.Extensions)
	if ec.Subject != nil {
		n++
	}
	if ec.Time != nil {
		n++
	}
	if ec.DataSchema != nil {
		n++
	}
	if ec.DataContentType != nil {
		n++
	}
	hb := headerBuilder{h: make(nats.Header, n+2), vals: make([]string, n)}

	hb.set(hdrSpecVersion, specVersion1)
	hb.set(hdrID, ec.ID)
	hb.set(hdrSource, source)
	hb.set(hdrType, ec.Type)
	if ec.Subject != nil {
		hb.set(hdrSubject, *ec.Subject)
	}
	if ec.Time != nil {
		var buf [40]byte
		hb.set(hdrTime, string(ec.Time.Time.UTC().AppendFormat(buf[:0], time.RFC3339Nano)))
	}
	if ec.DataSchema != nil {
		hb.set(hdrDataSchema, ec.DataSchema.String())
	}
	if ec.DataContentType != nil {
		hb.set(hdrContentType, *ec.DataContentType)
	}
	for name, v := range ec.Extensions {
		s, err := formatExtension(v)
		if err != nil {
			return nil, &AttributeError{Attribute: name, Err: err}
		}
		hb.set(hdrPrefix+name, s)
	}
	hb.set(hdrMsgID, DedupID(source, ec.ID))
	hb.set(hdrCodec, codecRaw)

	return &nats.Msg{Subject: subject, Header: hb.h, Data: e.DataEncoded}, nil
}

// headerBuilder fills a nats.Header whose single-value slices share one
// backing array.
type headerBuilder struct {
	h    nats.Header
	vals []string
	n    int
}

// set stores the single value v under key k.
func (b *headerBuilder) set(k, v string) {
	b.vals[b.n] = v
	b.h[k] = b.vals[b.n : b.n+1 : b.n+1]
	b.n++
}

// formatExtension returns the canonical string form of an extension value.
func formatExtension(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	s, err := types.Format(v)
	if err != nil {
		return "", fmt.Errorf("value of type %T is not a CloudEvents type: %w", v, err)
	}
	return s, nil
}

// checkEvent validates e for the NATS binary mode and returns its context as
// CloudEvents 1.0 and its source as a string. EncodeMsg and DecodeMsg apply
// the same rules, so whatever DecodeMsg returns can be encoded again.
func checkEvent(e *event.Event) (*event.EventContextV1, string, error) {
	if e == nil || e.Context == nil {
		return nil, "", attrErr("specversion", "event has no context")
	}
	ec, ok := e.Context.(*event.EventContextV1)
	if !ok || !validFast(e, ec) {
		if err := validationError(e.Validate()); err != nil {
			return nil, "", err
		}
		if !ok {
			// An older spec version can hold what 1.0 forbids (0.3 allows a
			// relative schemaurl): the converted context is checked too.
			ec = e.Context.AsV1()
			if err := validationError(ec.Validate()); err != nil {
				return nil, "", err
			}
		}
	}
	if ec.Time != nil {
		if y := ec.Time.Time.UTC().Year(); y < 0 || y > 9999 {
			return nil, "", attrErr("time", "year %d cannot be written as an RFC 3339 timestamp (0000-9999)", y)
		}
	}
	if ec.DataContentType != nil {
		if why := checkContentType(*ec.DataContentType); why != "" {
			return nil, "", attrErr("datacontenttype", "%s", why)
		}
	}
	for name, v := range ec.Extensions {
		if !isExtensionName(name) {
			return nil, "", attrErr(name, "extension names must be lower-case ASCII letters and digits, not a context attribute name or \"data\"")
		}
		if s, ok := v.(string); ok {
			if why := natsValueProblem(s); why != "" {
				return nil, "", attrErr(name, "%s", why)
			}
		}
	}
	source := ec.Source.String()
	if err := checkNATSValues(ec, source); err != nil {
		return nil, "", err
	}
	return ec, source, nil
}

// checkNATSValues checks the string attributes of ec with
// natsValueProblem.
// src is ec.Source.String().
func checkNATSValues(ec *event.EventContextV1, src string) error {
	check := func(attr, v string) error {
		if why := natsValueProblem(v); why != "" {
			return attrErr(attr, "%s", why)
		}
		return nil
	}
	if err := check("id", ec.ID); err != nil {
		return err
	}
	if err := check("type", ec.Type); err != nil {
		return err
	}
	if err := check("source", src); err != nil {
		return err
	}
	if ec.Subject != nil {
		if err := check("subject", *ec.Subject); err != nil {
			return err
		}
	}
	if ec.DataSchema != nil {
		return check("dataschema", ec.DataSchema.String())
	}
	return nil
}

// validFast reports whether e certainly passes event.Validate, checking the
// same rules without allocating. When it returns false, event.Validate has
// the final word and words the error, so the two never disagree on what is
// valid.
func validFast(e *event.Event, ec *event.EventContextV1) bool {
	if len(e.FieldErrors) > 0 ||
		strings.TrimSpace(ec.ID) == "" ||
		strings.TrimSpace(ec.Type) == "" ||
		(ec.Subject != nil && strings.TrimSpace(*ec.Subject) == "") ||
		(ec.DataSchema != nil && !ec.DataSchema.Validate()) {
		return false
	}
	// event.Validate wants a non-blank source string; any scheme, host or
	// path makes URL.String non-blank (spaces in a path are escaped).
	if src := &ec.Source.URL; src.Scheme == "" && src.Host == "" && src.Path == "" {
		return false
	}
	if ec.DataContentType != nil {
		dct := strings.TrimSpace(*ec.DataContentType)
		if dct == "" {
			return false
		}
		if !isSimpleMediaType(dct) {
			if _, _, err := mime.ParseMediaType(dct); err != nil {
				return false
			}
		}
	}
	return true
}

// isSimpleMediaType reports whether s is "type/subtype" made of RFC 2045
// token characters, which mime.ParseMediaType accepts.
func isSimpleMediaType(s string) bool {
	slash := strings.IndexByte(s, '/')
	if slash <= 0 || slash == len(s)-1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i != slash && !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// isTokenChar reports whether c is an RFC 2045 token character.
func isTokenChar(c byte) bool {
	return c > ' ' && c < 0x7f && !strings.ContainsRune(`()<>@,;:\"/[]?=`, rune(c))
}

// validationError turns the error of event.Validate into *AttributeError
// values, one per attribute, in name order.
func validationError(err error) error {
	if err == nil {
		return nil
	}
	var ve event.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("cebind: %w: %w", ErrMalformedEvent, err)
	}
	names := make([]string, 0, len(ve))
	for name := range ve {
		names = append(names, name)
	}
	slices.Sort(names)
	errs := make([]error, len(names))
	for i, name := range names {
		errs[i] = &AttributeError{Attribute: name, Err: ve[name]}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}
