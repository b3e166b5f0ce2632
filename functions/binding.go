package functions

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/internal/cebind"
)

// ErrInvalidReply means a function answered with something that claims to be
// a CloudEvent but is not a valid one. It is permanent: the function ran, and
// running it again would repeat its side effects for the same broken answer.
var ErrInvalidReply = errors.New("invalid CloudEvent in reply")

// Media types of the CloudEvents JSON formats.
const (
	mediaStructured = "application/cloudevents+json"
	mediaBatch      = "application/cloudevents-batch+json"
)

// headerPrefix is the canonical form of the "ce-" header prefix.
const headerPrefix = "Ce-"

// maxReplyBytes bounds a reply body or an exec program's stdout; it matches
// the embedded server's maximum message payload.
const maxReplyBytes = 8 << 20

// writeBinaryHeaders sets the ce-* headers and Content-Type of e on h
// (CloudEvents HTTP binding, binary mode) and returns the body: the event's
// data, unchanged.
func writeBinaryHeaders(h http.Header, e *event.Event) ([]byte, error) {
	return cebind.WriteBinary(h, e)
}

// eventFromBinary reads an event in binary mode, leniently: the answer of a
// function is any valid CloudEvent fnmesh can store.
func eventFromBinary(h http.Header, body []byte) (event.Event, error) {
	e, err := cebind.ReadBinary(h, body, cebind.Lenient)
	if err != nil {
		return event.Event{}, err
	}
	return *e, nil
}

// parseStructured reads events in the CloudEvents JSON format: one event
// object, or (batch) an array of them.
func parseStructured(body []byte) ([]event.Event, error) {
	var (
		events []*event.Event
		err    error
	)
	if s := bytes.TrimLeft(body, " \t\r\n"); len(s) > 0 && s[0] == '[' {
		events, err = cebind.ParseJSONBatch(body, cebind.Lenient)
	} else {
		var e *event.Event
		e, err = cebind.ParseJSON(body, cebind.Lenient)
		events = []*event.Event{e}
	}
	if err != nil {
		return nil, err
	}
	out := make([]event.Event, len(events))
	for i, e := range events {
		out[i] = *e
	}
	return out, nil
}

// parseStructuredOne reads one event in the CloudEvents JSON format.
func parseStructuredOne(raw []byte) (event.Event, error) {
	e, err := cebind.ParseJSON(raw, cebind.Lenient)
	if err != nil {
		return event.Event{}, err
	}
	return *e, nil
}
