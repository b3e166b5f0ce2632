// Package webhook verifies signed webhook deliveries from outside providers
// and extracts the identity of each delivery.
//
// A [Verifier] sees the raw request body, the request headers and the time
// now. It checks the provider's signature with a constant-time comparison,
// checks the provider's timestamp against a tolerance where the scheme has
// one, and returns a [Delivery]: the provider's delivery id (used as the
// CloudEvent id, so redeliveries are stored once), the provider's event type
// and, for Slack, the url_verification challenge.
//
// Supported schemes, chosen by [Config.Provider]:
//
//   - "github": X-Hub-Signature-256 "sha256=<hex>", HMAC-SHA256 of the body.
//     ID from X-GitHub-Delivery; type from X-GitHub-Event, followed by
//     "."+action when the payload has a top-level string "action".
//   - "stripe": Stripe-Signature "t=<unix>,v1=<hex>[,v1=<hex>...]",
//     HMAC-SHA256 of "<t>.<body>" keyed with the whole signing secret
//     (including its "whsec_" prefix). Any v1 may match. ID and type from the
//     JSON body's "id" and "type".
//   - "standardwebhooks": the Standard Webhooks scheme (also sent by Svix):
//     webhook-id, webhook-timestamp and webhook-signature headers, or the
//     same with the "svix-" prefix. HMAC-SHA256 of "<id>.<timestamp>.<body>",
//     space-separated "v1,<base64>" signatures, any may match. A secret
//     "whsec_<base64>" is the base64 of the key; a secret without that prefix
//     is used as the key bytes unchanged.
//   - "slack": X-Slack-Signature "v0=<hex>", HMAC-SHA256 of
//     "v0:<timestamp>:<body>" with X-Slack-Request-Timestamp.
//   - "hmac": a generic HMAC scheme with a configurable header, algorithm,
//     encoding, prefix, optional timestamp header and optional id header.
//
// Every timestamp must lie within [Config.Tolerance] of now in either
// direction (default [DefaultTolerance]). Several secrets may be configured
// at once so a secret can be rotated without dropping deliveries: a delivery
// is accepted when it is signed with any of them.
//
// Errors wrap [ErrMissingHeader], [ErrMalformedHeader], [ErrSignature],
// [ErrTimestamp] or [ErrPayload] so a caller can log the reason and pick an
// answer; the reason is for the operator's log, never for the sender.
// Package webhooktest signs requests the way each provider does, for tests
// of code that receives webhooks.
package webhook
