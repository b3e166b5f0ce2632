package triggers

import (
	"errors"
	"fmt"
)

// Errors callers branch on. ParseRequest's errors wrap exactly one of them.
var (
	// ErrBadEvent means the request does not carry valid CloudEvents (answer
	// 400). The error is an *AttrError, possibly inside a *BatchError.
	ErrBadEvent = errors.New("invalid CloudEvent")
	// ErrUnsupportedMediaType means the request is neither a CloudEvents
	// binary-mode request nor in a supported event format (answer 415).
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	// ErrBodyTooLarge means the request body is over the size limit (answer
	// 413). The error also wraps the *http.MaxBytesError when the limit was
	// hit while reading.
	ErrBodyTooLarge = errors.New("request body too large")
)

// AttrError says which attribute of an event breaks which rule. Attribute
// is empty when the rule is about the request body as a whole (not JSON,
// not UTF-8, not an object). It wraps ErrBadEvent.
type AttrError struct {
	// Attribute is the CloudEvents attribute (or "data"), empty for the body.
	Attribute string
	// Rule is the rule it breaks, in words.
	Rule string
}

// Error implements error.
func (e *AttrError) Error() string {
	if e.Attribute == "" {
		return "body: " + e.Rule
	}
	return fmt.Sprintf("attribute %q: %s", e.Attribute, e.Rule)
}

// Unwrap returns ErrBadEvent.
func (e *AttrError) Unwrap() error { return ErrBadEvent }

// BatchError places an error at one event of a batch (index from 0).
type BatchError struct {
	// Index of the event in the batch.
	Index int
	// Err is what is wrong with it, usually an *AttrError.
	Err error
}

// Error implements error.
func (e *BatchError) Error() string { return fmt.Sprintf("event %d: %v", e.Index, e.Err) }

// Unwrap returns the error of the event.
func (e *BatchError) Unwrap() error { return e.Err }

// Rules named in AttrError.Rule.
const (
	ruleRequired       = "required"
	ruleNonEmpty       = "must not be empty or blank"
	ruleSpecVersion    = `must be "1.0"`
	ruleURIRef         = "must be a URI-reference (RFC 3986)"
	ruleURI            = "must be an absolute URI (RFC 3986)"
	ruleTime           = "must be an RFC 3339 timestamp"
	ruleMediaType      = "must be a media type (RFC 2046)"
	ruleNameChars      = "name must contain only lowercase letters a-z and digits 0-9"
	ruleNameLen        = "name must be at most 20 characters"
	ruleNameReserved   = "name is reserved"
	ruleNameEmpty      = "attribute name must not be empty"
	ruleOnce           = "must appear only once"
	ruleString         = "must be a JSON string"
	ruleExtValue       = "must be a string, number or boolean"
	ruleInteger        = "must be an integer from -2147483648 to 2147483647"
	ruleChars          = "must not contain control characters or Unicode noncharacters"
	ruleSurrogate      = "must not contain unpaired surrogates"
	ruleDataExclusive  = "data and data_base64 must not both be present"
	ruleBase64         = "must be valid base64 (RFC 4648)"
	rulePercent        = "invalid percent-encoding"
	ruleQuoted         = "unterminated quoted string"
	ruleUTF8           = "must be valid UTF-8"
	ruleDataString     = "must be a JSON string when datacontenttype is not JSON"
	ruleCEContentType  = "must be sent as Content-Type in binary mode, not as a ce- header"
	ruleBodyObject     = "must be a JSON object (one structured-mode event)"
	ruleBodyArray      = "must be a JSON array of structured-mode events"
	ruleBodyEmptyBatch = "batch must contain at least one event"
	ruleBodyRead       = "could not be read"
)

func attrErr(attr, rule string) error { return &AttrError{Attribute: attr, Rule: rule} }
