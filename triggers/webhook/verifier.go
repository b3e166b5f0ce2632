package webhook

import (
	"fmt"
	"net/http"
	"time"
)

// Verifier checks the signature of one webhook delivery.
//
// Implementations are safe for concurrent use.
type Verifier interface {
	// Verify checks the signature over the raw body, using a constant-time
	// comparison, and the provider's timestamp against the tolerance when the
	// scheme has one. On success it returns the delivery's identity. Errors
	// wrap ErrMissingHeader, ErrMalformedHeader, ErrSignature, ErrTimestamp
	// or ErrPayload; their text is meant for the operator's log and must not
	// be shown to the sender.
	Verify(h http.Header, body []byte, now time.Time) (Delivery, error)
}

// Delivery is the identity of a verified webhook delivery.
type Delivery struct {
	// ID is the provider's delivery id, stable across redeliveries of the
	// same event where the provider allows it; used as the CloudEvent id so
	// a redelivery is stored once. When a scheme carries no id, ID is derived
	// from the signed headers.
	ID string
	// Type is the provider's event type, for example "push",
	// "pull_request.opened" or "checkout.session.completed"; empty when the
	// scheme carries none.
	Type string
	// Challenge is the challenge of a Slack url_verification request, which
	// the receiver must echo back; empty otherwise.
	Challenge string
	// Time is the provider's signed timestamp; the zero time when the scheme
	// has none.
	Time time.Time
}

// Provider names accepted in [Config.Provider].
const (
	ProviderGitHub           = "github"
	ProviderStripe           = "stripe"
	ProviderStandardWebhooks = "standardwebhooks"
	ProviderSlack            = "slack"
	ProviderHMAC             = "hmac"
)

// DefaultTolerance is how far a signed timestamp may be from now, in either
// direction, when [Config.Tolerance] is zero.
const DefaultTolerance = 5 * time.Minute

// RetryHorizon is how long a receiver must remember a delivery to recognise
// the provider's retries of it: longer than providers keep retrying (GitHub
// redelivers on request, Stripe retries for three days).
const RetryHorizon = 72 * time.Hour

// CheckDedupWindow reports a window for de-duplicating deliveries by body
// that is negative or longer than RetryHorizon (how long a receiver keeps
// what it remembers).
func CheckDedupWindow(d time.Duration) error {
	if d < 0 || d > RetryHorizon {
		return fmt.Errorf("must be from 0 (off) to %s", RetryHorizon)
	}
	return nil
}

// New validates cfg and returns the verifier for its provider. An invalid
// config yields an error wrapping [ErrConfig] that names the field and the
// rule.
func New(cfg Config) (Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	secrets := make([][]byte, len(cfg.Secrets))
	for i, s := range cfg.Secrets {
		secrets[i] = append([]byte(nil), s...)
	}
	tolerance := cfg.Tolerance
	if tolerance == 0 {
		tolerance = DefaultTolerance
	}
	switch cfg.Provider {
	case ProviderGitHub:
		return &gitHub{secrets: secrets}, nil
	case ProviderStripe:
		return &stripe{secrets: secrets, tolerance: tolerance}, nil
	case ProviderStandardWebhooks:
		keys, err := standardKeys(secrets)
		if err != nil {
			return nil, err
		}
		return &standard{keys: keys, tolerance: tolerance}, nil
	case ProviderSlack:
		return &slack{secrets: secrets, tolerance: tolerance}, nil
	default: // ProviderHMAC; Validate rejects anything else.
		return newGeneric(cfg, secrets, tolerance), nil
	}
}
