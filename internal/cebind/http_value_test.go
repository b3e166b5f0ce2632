package cebind

import (
	"testing"
	"unicode/utf8"
)

func TestHeaderValueEncoding(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain-ascii/1.0", "plain-ascii/1.0"},
		{"a b", "a%20b"},
		{`say "hi"`, "say%20%22hi%22"},
		{"100%", "100%25"},
		{"Straße", "Stra%C3%9Fe"},
		{"tab\there", "tab%09here"},
		{"\x7f", "%7F"},
	}
	for _, tt := range tests {
		if got := EscapeHTTPValue(tt.in); got != tt.want {
			t.Errorf("EscapeHTTPValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := decodeHTTPValue("a", tt.want); err != nil || back != tt.in {
			t.Errorf("decodeHeaderValue(%q) = %q, %v; want %q", tt.want, back, err, tt.in)
		}
	}
	// What a client that does not percent-encode sends (sdk-go): a '%'
	// that does not start an escape, and quotes, are kept as they are.
	for _, literal := range []string{"%", "%2", "%zz", "100%", `say "hi"`, `"abc`} {
		if got, err := decodeHTTPValue("a", literal); err != nil || got != literal {
			t.Errorf("decodeHTTPValue(%q) = %q, %v; want it kept", literal, got, err)
		}
	}
	for _, bad := range []string{"%C3", "\xff"} {
		if _, err := decodeHTTPValue("a", bad); err == nil {
			t.Errorf("decodeHTTPValue(%q) = nil error, want not UTF-8", bad)
		}
	}
}

func TestUnescapeHTTPValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "plain", want: "plain"},
		{in: "a%20b", want: "a b"},
		{in: "%22q%22", want: `"q"`},
		{in: "100%", want: "100%"},
		{in: "%zz%4", want: "%zz%4"},
		{in: "%C3%A9", want: "é"},
	}
	for _, tt := range tests {
		if got := UnescapeHTTPValue(tt.in); got != tt.want {
			t.Errorf("UnescapeHTTPValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := UnescapeHTTPValue(EscapeHTTPValue(tt.want)); got != tt.want {
			t.Errorf("round trip of %q gives %q", tt.want, got)
		}
	}
}

// FuzzHeaderValue: decoding never panics and encoding is reversible for
// every UTF-8 string.
func FuzzHeaderValue(f *testing.F) {
	for _, s := range []string{"", "plain", "a b", "100%", `"q"`, "Straße", "%zz", "%C3", "\x00\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = decodeHTTPValue("a", s)
		if !utf8.ValidString(s) {
			return
		}
		enc := EscapeHTTPValue(s)
		for i := 0; i < len(enc); i++ {
			if c := enc[i]; c <= ' ' || c >= 0x7F || c == '"' {
				t.Fatalf("encoded %q holds byte %q", enc, c)
			}
		}
		dec, err := decodeHTTPValue("a", enc)
		if err != nil || dec != s {
			t.Fatalf("decode(encode(%q)) = %q, %v", s, dec, err)
		}
	})
}
