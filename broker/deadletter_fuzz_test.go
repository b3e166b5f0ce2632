package broker

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
)

// FuzzTruncateReason: the result is valid UTF-8, at most
// MaxDeadLetterReason bytes, and the input itself when that fits.
func FuzzTruncateReason(f *testing.F) {
	f.Add("boom")
	f.Add(strings.Repeat("é", 600))
	f.Add(strings.Repeat("a", 1021) + "\U0001F600")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		got := TruncateReason(s)
		if !utf8.ValidString(got) || len(got) > MaxDeadLetterReason {
			t.Fatalf("TruncateReason(%q) = %q (%d bytes)", s, got, len(got))
		}
		if utf8.ValidString(s) && len(s) <= MaxDeadLetterReason && got != s {
			t.Fatalf("TruncateReason changed a short reason: %q -> %q", s, got)
		}
		if len(s) > MaxDeadLetterReason && utf8.ValidString(s) && !strings.HasPrefix(s, strings.TrimSuffix(got, "...")) {
			t.Fatalf("TruncateReason(%q) = %q is not a prefix", s, got)
		}
	})
}

// FuzzParseDeadLetter reads arbitrary dead-letter messages (anyone can
// publish to the dead-letter stream): it never panics, and attempts are
// never negative.
func FuzzParseDeadLetter(f *testing.F) {
	f.Add("1.0", "id", "/s", "t", "fn", "3", "reason%20x", "2025-01-01T00:00:00Z", []byte("data"))
	f.Add("", "", "", "", "", "-1", "%zz", "yesterday", []byte{0xff})
	f.Add("1.0", "id", "::", "t", "f", "99999999999", "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, sv, id, source, typ, fn, attempts, reason, at string, data []byte) {
		h := nats.Header{}
		for k, v := range map[string]string{
			"ce-specversion": sv, "ce-id": id, "ce-source": source, "ce-type": typ,
			"ce-" + ExtDeadLetterFunction: fn, "ce-" + ExtDeadLetterAttempts: attempts,
			"ce-" + ExtDeadLetterReason: reason, "ce-" + ExtDeadLetterTime: at,
		} {
			if v != "" {
				h.Set(k, v)
			}
		}
		stored := time.Unix(1700000000, 0)
		d := parseDeadLetter(7, stored, h, data)
		if d.Seq != 7 || d.Attempts < 0 || (d.Event == nil) == (d.Err == nil) {
			t.Fatalf("parseDeadLetter = %+v", d)
		}
	})
}
