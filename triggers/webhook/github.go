package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// GitHub header names.
const (
	gitHubSignatureHeader = "X-Hub-Signature-256"
	gitHubDeliveryHeader  = "X-GitHub-Delivery"
	gitHubEventHeader     = "X-GitHub-Event"
	gitHubPrefix          = "sha256="
)

// gitHub verifies GitHub webhook deliveries.
type gitHub struct {
	secrets [][]byte
}

// Verify implements [Verifier]. GitHub signs no timestamp, so now is unused
// and Delivery.Time is zero; redeliveries keep their X-GitHub-Delivery id.
func (v *gitHub) Verify(h http.Header, body []byte, _ time.Time) (Delivery, error) {
	sig, err := header(h, gitHubSignatureHeader)
	if err != nil {
		return Delivery{}, err
	}
	encoded, ok := strings.CutPrefix(sig, gitHubPrefix)
	if !ok {
		return Delivery{}, fmt.Errorf("%w: %s: want prefix %q", ErrMalformedHeader, gitHubSignatureHeader, gitHubPrefix)
	}
	mac, err := hex.DecodeString(encoded)
	if err != nil {
		return Delivery{}, fmt.Errorf("%w: %s: signature is not hex", ErrMalformedHeader, gitHubSignatureHeader)
	}
	if !anyEqual(macs(sha256.New, v.secrets, body), [][]byte{mac}) {
		return Delivery{}, fmt.Errorf("%w: %s", ErrSignature, gitHubSignatureHeader)
	}
	ids, err := headers(h, gitHubDeliveryHeader, gitHubEventHeader)
	if err != nil {
		return Delivery{}, err
	}
	id, event := ids[0], ids[1]
	if action := gitHubAction(h.Get("Content-Type"), body); action != "" {
		event += "." + action
	}
	return Delivery{ID: id, Type: event}, nil
}

// gitHubAction returns the payload's top-level string "action", or "". The
// payload is the body, or its "payload" field when the webhook is configured
// with the application/x-www-form-urlencoded content type.
func gitHubAction(contentType string, body []byte) string {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return ""
		}
		body = []byte(form.Get("payload"))
	}
	var p struct {
		Action any `json:"action"`
	}
	if json.Unmarshal(body, &p) != nil {
		return ""
	}
	s, _ := p.Action.(string)
	return s
}
