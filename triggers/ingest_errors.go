package triggers

import (
	"errors"
	"fmt"

	"github.com/fnmesh/fnmesh/internal/cebind"
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

// Rules named in AttrError.Rule: the binding's (internal/cebind), and the
// ones about a request as a whole.
const (
	ruleRequired       = cebind.RuleRequired
	ruleNonEmpty       = cebind.RuleNonEmpty
	ruleSpecVersion    = cebind.RuleSpecVersion
	ruleURIRef         = cebind.RuleURIRef
	ruleURI            = cebind.RuleURI
	ruleTime           = cebind.RuleTime
	ruleMediaType      = cebind.RuleMediaType
	ruleNameChars      = cebind.RuleNameChars
	ruleNameLen        = cebind.RuleNameLen
	ruleNameReserved   = cebind.RuleNameReserved
	ruleNameEmpty      = cebind.RuleNameEmpty
	ruleOnce           = cebind.RuleOnce
	ruleString         = cebind.RuleString
	ruleExtValue       = cebind.RuleExtValue
	ruleInteger        = cebind.RuleInteger
	ruleChars          = cebind.RuleChars
	ruleSurrogate      = cebind.RuleSurrogate
	ruleDataExclusive  = cebind.RuleDataExclusive
	ruleBase64         = cebind.RuleBase64
	ruleUTF8           = cebind.RuleUTF8
	ruleDataString     = cebind.RuleDataString
	ruleCEContentType  = cebind.RuleCEContentType
	ruleBodyObject     = cebind.RuleBodyObject
	ruleBodyArray      = cebind.RuleBodyArray
	ruleBodyEmptyBatch = cebind.RuleBodyEmptyBatch
	ruleBodyRead       = "could not be read"
)

func attrErr(attr, rule string) error { return &AttrError{Attribute: attr, Rule: rule} }
