package cebind

// Rules is how strictly a reader holds an event to the CloudEvents
// specification. Every reader and writer of the package takes one, so a
// rule is written once and applied where the rules ask for it.
type Rules int

const (
	// Lenient accepts what a CloudEvents producer may send and what fnmesh
	// can store: the rules of sdk-go's event.Validate plus what the NATS
	// binary mode needs (extension names of lower-case letters and digits).
	// It reads messages already stored, events sent by other SDKs, and
	// the answers of functions.
	Lenient Rules = iota
	// Strict is for events from outside (ingest): everything CloudEvents 1.0
	// requires, and the SHOULDs fnmesh enforces (names of at most
	// MaxNameLen characters, no control characters, no blank required
	// attributes).
	Strict
)

// MaxNameLen is the longest attribute or extension name Strict accepts.
// The CloudEvents specification says names SHOULD NOT exceed 20
// characters; Lenient readers accept longer ones, as sdk-go does.
const MaxNameLen = 20

// The extension attributes fnmesh sets on the events a function returns.
const (
	// CausationID is the id of the event an event answers.
	CausationID = "causationid"
	// CorrelationID is the id of the first event of a chain.
	CorrelationID = "correlationid"
)

// Rules named by the errors of Strict readers (AttributeError.Err's text).
const (
	RuleRequired       = "required"
	RuleNonEmpty       = "must not be empty or blank"
	RuleSpecVersion    = `must be "1.0"`
	RuleURIRef         = "must be a URI-reference (RFC 3986)"
	RuleURI            = "must be an absolute URI (RFC 3986)"
	RuleTime           = "must be an RFC 3339 timestamp"
	RuleMediaType      = "must be a media type (RFC 2046)"
	RuleNameChars      = "name must contain only lowercase letters a-z and digits 0-9"
	RuleNameLen        = "name must be at most 20 characters"
	RuleNameReserved   = "name is reserved"
	RuleNameEmpty      = "attribute name must not be empty"
	RuleOnce           = "must appear only once"
	RuleString         = "must be a JSON string"
	RuleExtValue       = "must be a string, number or boolean"
	RuleInteger        = "must be an integer from -2147483648 to 2147483647"
	RuleChars          = "must not contain control characters or Unicode noncharacters"
	RuleSurrogate      = "must not contain unpaired surrogates"
	RuleDataExclusive  = "data and data_base64 must not both be present"
	RuleBase64         = "must be valid base64 (RFC 4648)"
	RuleUTF8           = "must be valid UTF-8"
	RuleDataString     = "must be a JSON string when datacontenttype is not JSON"
	RuleCEContentType  = "must be sent as Content-Type in binary mode, not as a ce- header"
	RuleBodyObject     = "must be a JSON object (one structured-mode event)"
	RuleBodyArray      = "must be a JSON array of structured-mode events"
	RuleBodyEmptyBatch = "batch must contain at least one event"
)

// ruleText is an error whose text is a rule.
type ruleText string

func (r ruleText) Error() string { return string(r) }

// ruleErr returns an *AttributeError for attr breaking rule.
func ruleErr(attr, rule string) error { return &AttributeError{Attribute: attr, Err: ruleText(rule)} }
