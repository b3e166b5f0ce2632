package broker

import (
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/internal/cebind"
)

// The CloudEvents NATS binding lives in internal/cebind; these names keep
// the broker's API for the many callers that decode what they consume.

// ErrMalformedEvent means an event cannot be encoded to, or decoded from, a
// NATS message (cebind.ErrMalformedEvent).
var ErrMalformedEvent = cebind.ErrMalformedEvent

// ErrInvalidSubject means a subject, or an escaped event type inside one,
// is not something EscapeType or Subject could have produced
// (cebind.ErrInvalidSubject).
var ErrInvalidSubject = cebind.ErrInvalidSubject

// AttributeError names the attribute that makes an event malformed and the
// rule it breaks (cebind.AttributeError).
type AttributeError = cebind.AttributeError

// EncodeMsg builds the NATS message for e on subject (cebind.EncodeMsg).
func EncodeMsg(subject string, e *event.Event) (*nats.Msg, error) {
	return cebind.EncodeMsg(subject, e)
}

// DecodeMsg returns the event carried by a NATS message (cebind.DecodeMsg).
func DecodeMsg(h nats.Header, data []byte) (*event.Event, error) { return cebind.DecodeMsg(h, data) }

// Subject returns the NATS subject of an event type (cebind.Subject).
func Subject(prefix, eventType string) string { return cebind.Subject(prefix, eventType) }

// EscapeType maps an event type to subject tokens (cebind.EscapeType).
func EscapeType(eventType string) string { return cebind.EscapeType(eventType) }

// UnescapeType reverses EscapeType (cebind.UnescapeType).
func UnescapeType(tokens string) (string, error) { return cebind.UnescapeType(tokens) }

// TypeFromSubject returns the event type carried by subject
// (cebind.TypeFromSubject).
func TypeFromSubject(prefix, subject string) (string, error) {
	return cebind.TypeFromSubject(prefix, subject)
}

// DedupID is the Nats-Msg-Id of an event (cebind.DedupID).
func DedupID(source, id string) string { return cebind.DedupID(source, id) }
