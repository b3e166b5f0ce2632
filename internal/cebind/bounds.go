package cebind

import (
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Bounds on what one event may hold. An event over them could never be
// stored (JetStream refuses headers over 64 KiB) or, worse, would break
// the connection that carries it: the NATS server closes a connection whose
// protocol line (which holds the subject) exceeds 4096 bytes, and every
// other request using that connection fails with it. Ingest (Strict)
// refuses events over the bounds with 400; EncodeMsg (Lenient) refuses
// them too, so routes, webhooks and cron are covered, with room for what
// fnmesh adds to an event on the way (causationid, correlationid, trace
// context, the dead-letter attributes).
const (
	// MaxTypeBytes bounds the type. The type becomes the subject, escaped
	// at most threefold, so with a prefix of up to 500 bytes the subject
	// stays within MaxSubjectBytes.
	MaxTypeBytes = 512
	// MaxSubjectBytes bounds the NATS subject an event is published on,
	// well below the server's 4096-byte protocol line, which must also
	// hold the reply subject of a JetStream delivery.
	MaxSubjectBytes = 2048
	// MaxValueBytes bounds every other attribute value (id, source,
	// subject, dataschema, datacontenttype) and each extension value.
	MaxValueBytes = 4096
	// MaxExtensions bounds the number of extensions of an event from
	// outside.
	MaxExtensions = 64
	// MaxHeaderBytes bounds the NATS headers of an event from outside (every
	// "name: value" line), well below JetStream's 64 KiB.
	MaxHeaderBytes = 32 << 10
	// ReservedExtensions and ReservedHeaderBytes are what EncodeMsg allows
	// beyond MaxExtensions and MaxHeaderBytes for the attributes fnmesh
	// adds itself.
	ReservedExtensions  = 16
	ReservedHeaderBytes = 8 << 10
)

// ErrOverLimit is wrapped by the *AttributeError of an event over one of
// the bounds; the error names the attribute (or "extensions", "headers")
// and the limit.
var ErrOverLimit = errors.New("over the limit")

// headerLine is the size of one "name: value\r\n" header line.
func headerLine(name, value string) int { return len(name) + len(value) + 4 }

// CheckBounds checks e against the bounds: Strict for an event from
// outside, Lenient with the reserve for what fnmesh adds. Errors are
// *AttributeError values wrapping ErrOverLimit (and ErrMalformedEvent).
func CheckBounds(e *event.Event, r Rules) error {
	if e == nil || e.Context == nil {
		return nil
	}
	ec := e.Context.AsV1()
	return checkBounds(ec, ec.Source.String(), r)
}

// checkBounds is CheckBounds for a context whose source is src
// (ec.Source.String(), which the caller has at hand).
func checkBounds(ec *event.EventContextV1, src string, r Rules) error {
	maxExt, maxHdr := MaxExtensions, MaxHeaderBytes
	if r != Strict {
		maxExt += ReservedExtensions
		maxHdr += ReservedHeaderBytes
	}
	if len(ec.Type) > MaxTypeBytes {
		return overLimit("type", len(ec.Type), MaxTypeBytes, "bytes")
	}
	if n := len(ec.Extensions); n > maxExt {
		return overLimit("extensions", n, maxExt, "extensions")
	}
	// Nats-Msg-Id, Fnmesh-Codec and ce-specversion.
	total := headerLine(hdrMsgID, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") +
		headerLine(hdrCodec, codecRaw) + headerLine(hdrSpecVersion, specVersion1) + headerLine(hdrType, ec.Type)
	check := func(attr, header, v string) error {
		if len(v) > MaxValueBytes {
			return overLimit(attr, len(v), MaxValueBytes, "bytes")
		}
		total += headerLine(header, v)
		return nil
	}
	if err := check("id", hdrID, ec.ID); err != nil {
		return err
	}
	if err := check("source", hdrSource, src); err != nil {
		return err
	}
	if ec.Subject != nil {
		if err := check("subject", hdrSubject, *ec.Subject); err != nil {
			return err
		}
	}
	if ec.DataSchema != nil {
		if err := check("dataschema", hdrDataSchema, ec.DataSchema.String()); err != nil {
			return err
		}
	}
	if ec.DataContentType != nil {
		if err := check("datacontenttype", hdrContentType, *ec.DataContentType); err != nil {
			return err
		}
	}
	for name, v := range ec.Extensions {
		s, err := formatExtension(v)
		if err != nil {
			return &AttributeError{Attribute: name, Err: err}
		}
		if err := check(name, hdrPrefix+name, s); err != nil {
			return err
		}
	}
	if total > maxHdr {
		return overLimit("headers", total, maxHdr, "bytes of headers")
	}
	return nil
}

// checkSubjectBound refuses a subject over MaxSubjectBytes, naming the
// type it is derived from.
func checkSubjectBound(subject string) error {
	if len(subject) > MaxSubjectBytes {
		return &AttributeError{Attribute: "type", Err: fmt.Errorf("%w: makes a NATS subject of %d bytes, at most %d",
			ErrOverLimit, len(subject), MaxSubjectBytes)}
	}
	return nil
}

func overLimit(attr string, got, limit int, unit string) error {
	return &AttributeError{Attribute: attr, Err: fmt.Errorf("%w: at most %d %s, got %d", ErrOverLimit, limit, unit, got)}
}
