package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"time"
)

// macs returns the HMAC of the concatenated parts under each key.
func macs(newHash func() hash.Hash, keys [][]byte, parts ...[]byte) [][]byte {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		m := hmac.New(newHash, k)
		for _, p := range parts {
			m.Write(p)
		}
		out[i] = m.Sum(nil)
	}
	return out
}

// anyEqual reports whether any candidate equals any expected MAC. Each
// comparison takes constant time for equal lengths.
func anyEqual(expected, candidates [][]byte) bool {
	for _, c := range candidates {
		for _, e := range expected {
			if hmac.Equal(e, c) {
				return true
			}
		}
	}
	return false
}

// parseUnix parses a Unix time in seconds taken from the named header.
func parseUnix(header, value string) (time.Time, error) {
	sec, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s: want Unix seconds, got %q", ErrMalformedHeader, header, truncate(value))
	}
	return time.Unix(sec, 0), nil
}

// checkTolerance reports ErrTimestamp when ts is further than tolerance from
// now in either direction.
func checkTolerance(ts, now time.Time, tolerance time.Duration) error {
	d := now.Sub(ts)
	switch {
	case d > tolerance:
		return fmt.Errorf("%w: signed at %d, %s before now, tolerance %s", ErrTimestamp, ts.Unix(), d, tolerance)
	case d < -tolerance:
		return fmt.Errorf("%w: signed at %d, %s after now, tolerance %s", ErrTimestamp, ts.Unix(), -d, tolerance)
	}
	return nil
}

// derivedID builds a delivery id for schemes that carry none: the same
// signed headers give the same id, so a retried request is stored once.
func derivedID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// truncate shortens header values quoted in error messages.
func truncate(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
