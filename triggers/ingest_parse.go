package triggers

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/internal/cebind"
)

// Body size limits of POST /events.
const (
	// DefaultMaxBodyBytes is the body limit when none is configured (1 MiB).
	DefaultMaxBodyBytes int64 = 1 << 20
	// MinMaxBodyBytes is the smallest body limit an Ingest accepts (64 KiB).
	MinMaxBodyBytes int64 = 64 << 10
)

// Media types of the CloudEvents JSON formats.
const (
	// MediaTypeStructured is the JSON event format (structured mode).
	MediaTypeStructured = "application/cloudevents+json"
	// MediaTypeBatch is the JSON batch format (batched mode).
	MediaTypeBatch = "application/cloudevents-batch+json"
)

// requestMode is how a request carries its events.
type requestMode int

const (
	modeBinary requestMode = iota
	modeStructured
	modeBatch
)

// ParseRequest reads the CloudEvents carried by an HTTP request according
// to the CloudEvents HTTP protocol binding 1.0 and returns them in order.
//
// The mode follows the Content-Type: "application/cloudevents+json" is one
// event in structured mode, "application/cloudevents-batch+json" is a JSON
// array of them (batched mode; an empty array is rejected, as it would
// store nothing); a charset parameter, if any, must be utf-8. Other
// "application/cloudevents..." formats are unsupported. Any other request
// with "ce-" headers is binary mode: the ce-* headers are the attributes
// (valid percent-escapes are decoded, any other '%' and double quotes are
// kept, as the standard SDKs send them; the values must then be valid
// UTF-8), Content-Type is datacontenttype and the body, byte for byte, is
// data (which must be JSON when the Content-Type says so). A request that
// is neither is unsupported. Attributes, the extension count and the
// headers are bounded (see internal/cebind's MaxTypeBytes and the others).
//
// Every event is checked against CloudEvents 1.0: specversion is exactly
// "1.0"; id, source, type are present and not empty; source is a
// URI-reference, dataschema an absolute URI, time an RFC 3339 timestamp,
// datacontenttype a media type; each attribute appears once; string values
// contain no control characters or noncharacters; attribute names are
// lowercase letters and digits. Names are also limited to 20 characters:
// the specification only says they SHOULD NOT be longer, fnmesh enforces it.
// In the JSON formats the body must be UTF-8 JSON, "data" and "data_base64"
// are mutually exclusive, data_base64 must be valid base64, a null member is
// treated as absent (as the JSON format requires), core attributes are JSON
// strings, and extensions are strings, booleans or integers in the 32-bit
// range (kept as string, bool and int32). With no datacontenttype, "data"
// is JSON and datacontenttype becomes "application/json".
//
// maxBody bounds the body (DefaultMaxBodyBytes when <= 0). Errors wrap
// ErrBadEvent (an *AttrError, inside a *BatchError for a batch),
// ErrUnsupportedMediaType or ErrBodyTooLarge.
func ParseRequest(r *http.Request, maxBody int64) ([]*event.Event, error) {
	events, _, err := parseRequest(r, maxBody)
	return events, err
}

func parseRequest(r *http.Request, maxBody int64) ([]*event.Event, requestMode, error) {
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	ct := r.Header.Get("Content-Type")
	mode, err := detectMode(r.Header, ct)
	if err != nil {
		return nil, mode, err
	}
	body, err := readLimitedBody(r, maxBody)
	if err != nil {
		return nil, mode, err
	}
	switch mode {
	case modeStructured:
		e, err := cebind.ParseJSON(body, cebind.Strict)
		if err != nil {
			return nil, mode, fromBinding(err)
		}
		return []*event.Event{e}, mode, nil
	case modeBatch:
		events, err := cebind.ParseJSONBatch(body, cebind.Strict)
		return events, mode, fromBinding(err)
	default:
		e, err := cebind.ReadBinary(r.Header, body, cebind.Strict)
		if err != nil {
			return nil, mode, fromBinding(err)
		}
		return []*event.Event{e}, mode, nil
	}
}

// detectMode decides between structured, batched and binary mode.
func detectMode(h http.Header, ct string) (requestMode, error) {
	if ct != "" && !plainNonCloudEvents(ct) {
		mt, params, err := mime.ParseMediaType(ct)
		if err == nil && strings.HasPrefix(mt, "application/cloudevents") {
			var mode requestMode
			switch mt {
			case MediaTypeStructured:
				mode = modeStructured
			case MediaTypeBatch:
				mode = modeBatch
			default:
				return modeBinary, fmt.Errorf("%w: event format %q (supported: %s, %s, or binary mode)",
					ErrUnsupportedMediaType, mt, MediaTypeStructured, MediaTypeBatch)
			}
			if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
				return mode, fmt.Errorf("%w: charset %q (only utf-8)", ErrUnsupportedMediaType, cs)
			}
			return mode, nil
		}
	}
	if cebind.HasBinaryHeaders(h) {
		return modeBinary, nil
	}
	if ct == "" {
		return modeBinary, fmt.Errorf("%w: no Content-Type and no ce- headers: not a CloudEvents request", ErrUnsupportedMediaType)
	}
	return modeBinary, fmt.Errorf("%w: %q without ce- headers is not a CloudEvents request (use binary mode, %s or %s)",
		ErrUnsupportedMediaType, ct, MediaTypeStructured, MediaTypeBatch)
}

// readLimitedBody reads at most maxBody bytes of the body (see readBody).
func readLimitedBody(r *http.Request, maxBody int64) ([]byte, error) {
	return readBody(nil, r, maxBody)
}

// plainNonCloudEvents reports, without parsing, that ct (which starts with
// a letter, so parsing would not trim it) is no application/cloudevents
// media type: the common binary-mode request skips the media type parse.
func plainNonCloudEvents(ct string) bool {
	const prefix = "application/cloudevents"
	c := ct[0] | 0x20
	if c < 'a' || c > 'z' {
		return false
	}
	return len(ct) < len(prefix) || !strings.EqualFold(ct[:len(prefix)], prefix)
}
