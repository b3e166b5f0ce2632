package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const stripeSignatureHeader = "Stripe-Signature"

// stripe verifies Stripe webhook deliveries.
type stripe struct {
	secrets   [][]byte
	tolerance time.Duration
}

// stripeHeader is a parsed Stripe-Signature header.
type stripeHeader struct {
	// timestamp is the value of "t".
	timestamp int64
	// v1 holds the decoded "v1" signatures; entries that are not hex are
	// skipped, as Stripe's own libraries do.
	v1 [][]byte
}

// parseStripeHeader parses "t=<unix>,v1=<hex>[,v1=<hex>...][,v0=<hex>]".
// Unknown keys are ignored; exactly one "t" is required.
func parseStripeHeader(s string) (stripeHeader, error) {
	var (
		sh   stripeHeader
		hasT bool
	)
	for i, item := range strings.Split(s, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return stripeHeader{}, fmt.Errorf("%w: %s: item %d: want key=value", ErrMalformedHeader, stripeSignatureHeader, i)
		}
		switch key {
		case "t":
			if hasT {
				return stripeHeader{}, fmt.Errorf("%w: %s: more than one t", ErrMalformedHeader, stripeSignatureHeader)
			}
			t, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				return stripeHeader{}, fmt.Errorf("%w: %s: t: want Unix seconds, got %q", ErrMalformedHeader, stripeSignatureHeader, truncate(value))
			}
			sh.timestamp, hasT = t, true
		case "v1":
			if sig, err := hex.DecodeString(value); err == nil {
				sh.v1 = append(sh.v1, sig)
			}
		}
	}
	if !hasT {
		return stripeHeader{}, fmt.Errorf("%w: %s: no t", ErrMalformedHeader, stripeSignatureHeader)
	}
	return sh, nil
}

// Verify implements [Verifier]. The delivery id and type are the event's
// "id" and "type"; Stripe resends an event with the same id.
func (v *stripe) Verify(h http.Header, body []byte, now time.Time) (Delivery, error) {
	raw, err := header(h, stripeSignatureHeader)
	if err != nil {
		return Delivery{}, err
	}
	sh, err := parseStripeHeader(raw)
	if err != nil {
		return Delivery{}, err
	}
	if len(sh.v1) == 0 {
		return Delivery{}, fmt.Errorf("%w: %s: no v1 signature", ErrSignature, stripeSignatureHeader)
	}
	t := strconv.FormatInt(sh.timestamp, 10)
	if !anyEqual(macs(sha256.New, v.secrets, []byte(t), []byte("."), body), sh.v1) {
		return Delivery{}, fmt.Errorf("%w: %s", ErrSignature, stripeSignatureHeader)
	}
	ts := time.Unix(sh.timestamp, 0)
	if err := checkTolerance(ts, now, v.tolerance); err != nil {
		return Delivery{}, err
	}
	var event struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &event); err != nil {
		return Delivery{}, fmt.Errorf("%w: stripe event is not a JSON object: %w", ErrPayload, err)
	}
	if event.ID == "" {
		return Delivery{}, fmt.Errorf("%w: stripe event has no \"id\"", ErrPayload)
	}
	if event.Type == "" {
		return Delivery{}, fmt.Errorf("%w: stripe event has no \"type\"", ErrPayload)
	}
	return Delivery{ID: event.ID, Type: event.Type, Time: ts}, nil
}
