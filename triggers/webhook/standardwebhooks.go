package webhook

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// standardSecretPrefix marks a Standard Webhooks secret whose remainder is
// the base64 of the key.
const standardSecretPrefix = "whsec_"

// standardHeaders names the three headers of one header family.
type standardHeaders struct {
	id, timestamp, signature string
}

// The Standard Webhooks header names, and the names Svix sends.
const (
	standardIDHeader        = "Webhook-Id"
	standardTimestampHeader = "Webhook-Timestamp"
	standardSignatureHeader = "Webhook-Signature"
	svixIDHeader            = "Svix-Id"
	svixTimestampHeader     = "Svix-Timestamp"
	svixSignatureHeader     = "Svix-Signature"
)

// standard verifies Standard Webhooks (and Svix) deliveries.
type standard struct {
	keys      [][]byte
	tolerance time.Duration
}

// standardKeys turns configured secrets into HMAC keys: "whsec_<base64>" is
// decoded, anything else is used as is.
func standardKeys(secrets [][]byte) ([][]byte, error) {
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		rest, ok := strings.CutPrefix(string(s), standardSecretPrefix)
		if !ok {
			keys[i] = s
			continue
		}
		key, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return nil, configErr(fmt.Sprintf("secrets[%d]", i), "a %q secret must continue in standard base64: %v", standardSecretPrefix, err)
		}
		if len(key) == 0 {
			return nil, configErr(fmt.Sprintf("secrets[%d]", i), "a %q secret must not be empty after the prefix", standardSecretPrefix)
		}
		keys[i] = key
	}
	return keys, nil
}

// parseStandardSignatures parses a space-separated list of
// "<version>,<base64>" entries and returns the decoded v1 signatures.
// Entries of other versions (such as the asymmetric "v1a") and entries that
// are not valid base64 are skipped.
func parseStandardSignatures(s string) [][]byte {
	var sigs [][]byte
	for _, entry := range strings.Fields(s) {
		version, encoded, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		if sig, err := base64.StdEncoding.DecodeString(encoded); err == nil {
			sigs = append(sigs, sig)
		}
	}
	return sigs
}

// Verify implements [Verifier]. The webhook-* headers are used when
// webhook-signature is present, the svix-* headers otherwise.
func (v *standard) Verify(h http.Header, body []byte, now time.Time) (Delivery, error) {
	names := standardHeaders{id: standardIDHeader, timestamp: standardTimestampHeader, signature: standardSignatureHeader}
	if h.Get(standardSignatureHeader) == "" && h.Get(svixSignatureHeader) != "" {
		names = standardHeaders{id: svixIDHeader, timestamp: svixTimestampHeader, signature: svixSignatureHeader}
	}
	raw, err := optionalHeader(h, names.signature)
	if err != nil {
		return Delivery{}, err
	}
	if raw == "" {
		return Delivery{}, fmt.Errorf("%w: %s (or %s)", ErrMissingHeader, standardSignatureHeader, svixSignatureHeader)
	}
	id, err := header(h, names.id)
	if err != nil {
		return Delivery{}, err
	}
	rawTS, err := header(h, names.timestamp)
	if err != nil {
		return Delivery{}, err
	}
	ts, err := parseUnix(names.timestamp, rawTS)
	if err != nil {
		return Delivery{}, err
	}
	sigs := parseStandardSignatures(raw)
	if len(sigs) == 0 {
		return Delivery{}, fmt.Errorf("%w: %s: no v1 signature", ErrSignature, names.signature)
	}
	signedTS := strconv.FormatInt(ts.Unix(), 10)
	if !anyEqual(macs(sha256.New, v.keys, []byte(id), []byte("."), []byte(signedTS), []byte("."), body), sigs) {
		return Delivery{}, fmt.Errorf("%w: %s", ErrSignature, names.signature)
	}
	if err := checkTolerance(ts, now, v.tolerance); err != nil {
		return Delivery{}, err
	}
	return Delivery{ID: id, Time: ts}, nil
}
