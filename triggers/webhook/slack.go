package webhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Slack header names and signature version.
const (
	slackSignatureHeader = "X-Slack-Signature"
	slackTimestampHeader = "X-Slack-Request-Timestamp"
	slackVersion         = "v0"
)

// slack verifies Slack request signatures.
type slack struct {
	secrets   [][]byte
	tolerance time.Duration
}

// Verify implements [Verifier].
//
// The delivery id is the Events API "event_id" when present (Slack retries
// an event with the same id), else derived from the timestamp and signature.
// The type is the inner event's type for Events API callbacks (for example
// "app_mention"), the outer "type" for other JSON bodies (for example
// "url_verification"), the interaction payload's type for interactivity
// (for example "block_actions"), or "slash_command". For url_verification
// the challenge is returned in Delivery.Challenge.
func (v *slack) Verify(h http.Header, body []byte, now time.Time) (Delivery, error) {
	vals, err := headers(h, slackSignatureHeader, slackTimestampHeader)
	if err != nil {
		return Delivery{}, err
	}
	sig, rawTS := vals[0], vals[1]
	ts, err := parseUnix(slackTimestampHeader, rawTS)
	if err != nil {
		return Delivery{}, err
	}
	encoded, ok := strings.CutPrefix(sig, slackVersion+"=")
	if !ok {
		return Delivery{}, fmt.Errorf("%w: %s: want prefix %q", ErrMalformedHeader, slackSignatureHeader, slackVersion+"=")
	}
	mac, err := hex.DecodeString(encoded)
	if err != nil {
		return Delivery{}, fmt.Errorf("%w: %s: signature is not hex", ErrMalformedHeader, slackSignatureHeader)
	}
	content := [][]byte{[]byte(slackVersion + ":"), []byte(rawTS), []byte(":"), body}
	if !anyEqual(macs(sha256.New, v.secrets, content...), [][]byte{mac}) {
		return Delivery{}, fmt.Errorf("%w: %s", ErrSignature, slackSignatureHeader)
	}
	if err := checkTolerance(ts, now, v.tolerance); err != nil {
		return Delivery{}, err
	}
	d := slackIdentity(body)
	d.Time = ts
	if d.ID == "" {
		d.ID = derivedID(rawTS, sig)
	}
	return d, nil
}

// slackPayload holds the fields of a Slack JSON body that identify it.
type slackPayload struct {
	Type      string          `json:"type"`
	Challenge string          `json:"challenge"`
	EventID   string          `json:"event_id"`
	Event     json.RawMessage `json:"event"`
}

// slackIdentity reads the id, type and challenge from a verified body,
// leaving fields empty where the body does not carry them.
func slackIdentity(body []byte) Delivery {
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' {
		var p slackPayload
		if json.Unmarshal(trimmed, &p) != nil {
			return Delivery{}
		}
		d := Delivery{ID: p.EventID, Type: p.Type}
		var inner struct {
			Type string `json:"type"`
		}
		if len(p.Event) > 0 && json.Unmarshal(p.Event, &inner) == nil && inner.Type != "" {
			d.Type = inner.Type
		}
		if p.Type == "url_verification" {
			d.Challenge = p.Challenge
		}
		return d
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return Delivery{}
	}
	if payload := form.Get("payload"); payload != "" {
		var p slackPayload
		if json.Unmarshal([]byte(payload), &p) != nil {
			return Delivery{}
		}
		return Delivery{Type: p.Type}
	}
	if form.Get("command") != "" {
		return Delivery{Type: "slash_command"}
	}
	return Delivery{}
}
