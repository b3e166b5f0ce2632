package webhook

import "errors"

// Sentinel errors. Errors returned by [Verifier.Verify] wrap exactly one of
// the first five; errors returned by [New] wrap [ErrConfig].
//
// All of them except [ErrPayload] mean the request is not authenticated and
// should be answered with 401. [ErrPayload] means the signature was valid but
// the body lacks what the provider promises (for example a Stripe event
// without an "id"), which is a bad request.
var (
	// ErrMissingHeader means a header the scheme requires is absent or empty.
	ErrMissingHeader = errors.New("webhook: missing header")
	// ErrMalformedHeader means a header is present but does not follow the
	// scheme's syntax (bad timestamp, missing prefix, bad encoding).
	ErrMalformedHeader = errors.New("webhook: malformed header")
	// ErrSignature means no signature in the request matches any configured
	// secret.
	ErrSignature = errors.New("webhook: signature mismatch")
	// ErrTimestamp means the signature is valid but the signed timestamp is
	// further from now than the tolerance, in the past or the future.
	ErrTimestamp = errors.New("webhook: timestamp outside tolerance")
	// ErrPayload means the signature is valid but the body does not carry the
	// fields the provider's scheme requires.
	ErrPayload = errors.New("webhook: unusable payload")
	// ErrConfig means a [Config] is invalid; the message names the field and
	// the rule.
	ErrConfig = errors.New("webhook: invalid config")
)
