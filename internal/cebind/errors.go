package cebind

import (
	"errors"
	"fmt"
)

// ErrMalformedEvent means an event cannot be encoded to, or decoded from, a
// NATS message. Errors that concern one attribute are *AttributeError values,
// which match ErrMalformedEvent with errors.Is.
var ErrMalformedEvent = errors.New("malformed event")

// AttributeError names the CloudEvents attribute that makes an event
// malformed and the rule it breaks. errors.Is(err, ErrMalformedEvent) holds
// for every AttributeError.
type AttributeError struct {
	// Attribute is the attribute name, for example "time" or an extension
	// name, as far as it could be read.
	Attribute string
	// Err says which rule the value breaks.
	Err error
}

// Error implements error.
func (e *AttributeError) Error() string {
	return fmt.Sprintf("%s: attribute %q: %v", ErrMalformedEvent, e.Attribute, e.Err)
}

// Unwrap returns the rule the attribute breaks.
func (e *AttributeError) Unwrap() error { return e.Err }

// Is reports whether target is ErrMalformedEvent.
func (e *AttributeError) Is(target error) bool { return target == ErrMalformedEvent }

// attrErr builds an *AttributeError from a message.
func attrErr(attr, format string, args ...any) error { return NewAttributeError(attr, format, args...) }

// NewAttributeError returns an *AttributeError for attr whose rule is
// formatted from format and args.
func NewAttributeError(attr, format string, args ...any) error {
	return &AttributeError{Attribute: attr, Err: fmt.Errorf(format, args...)}
}

// BatchError places an error at one event of a JSON batch (index from 0).
type BatchError struct {
	// Index of the event in the batch.
	Index int
	// Err is what is wrong with it, usually an *AttributeError.
	Err error
}

// Error implements error.
func (e *BatchError) Error() string { return fmt.Sprintf("event %d: %v", e.Index, e.Err) }

// Unwrap returns the error of the event.
func (e *BatchError) Unwrap() error { return e.Err }
