package cebind

import (
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"
)

// ParseJSON reads one event in the CloudEvents JSON format
// (application/cloudevents+json).
//
// Strict holds it to everything CloudEvents 1.0 and the JSON format say:
// the body is UTF-8 JSON, each member appears once, "data" and
// "data_base64" are mutually exclusive, a null member is absent, core
// attributes are strings and extensions strings, booleans or 32-bit
// integers (kept as string, bool and int32). With no datacontenttype,
// "data" is JSON and datacontenttype becomes "application/json".
//
// Lenient reads it as sdk-go does (event.Event.UnmarshalJSON) and then
// checks that it is valid (event.Validate) and can be stored (EncodeMsg's
// rules).
//
// Errors wrap ErrMalformedEvent; those about one attribute are
// *AttributeError values naming it ("" for the body as a whole).
func ParseJSON(body []byte, r Rules) (*event.Event, error) {
	if r == Strict {
		return parseStructured(body)
	}
	return decodeJSON(body)
}

// ParseJSONBatch reads a JSON array of events
// (application/cloudevents-batch+json), each as ParseJSON does. Strict
// refuses an empty batch; Lenient returns no events for it. The error about
// one event is a *BatchError holding its index. Under Strict the events'
// JSON data share body's bytes: body must not change while they are used.
func ParseJSONBatch(body []byte, r Rules) ([]*event.Event, error) {
	return parseBatch(body, r)
}

// decodeJSON reads one event as sdk-go does and holds it to the rules of
// EncodeMsg.
func decodeJSON(data []byte) (e *event.Event, err error) {
	defer func() {
		// The JSON parser is third-party code fed with outside input: a
		// panic in it is bad input, not a crash.
		if r := recover(); r != nil {
			e, err = nil, fmt.Errorf("cebind: %w: structured event: invalid JSON: %v", ErrMalformedEvent, r)
		}
	}()
	if firstJSONByte(data) != '{' {
		return nil, ruleErr("", RuleBodyObject)
	}
	ev := &event.Event{}
	if err := ev.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("cebind: %w: structured event: %w", ErrMalformedEvent, err)
	}
	ec, _, err := checkEvent(ev)
	if err != nil {
		return nil, err
	}
	ev.Context = ec
	return ev, nil
}
