package cebind

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestDedupID(t *testing.T) {
	long := strings.Repeat("x", 1000)
	tests := []struct {
		name           string
		source, id     string
		source2, id2   string
		wantSameAsPair bool
	}{
		{name: "same pair is stable", source: "/shop/api", id: "42", source2: "/shop/api", id2: "42", wantSameAsPair: true},
		{name: "boundary shift", source: "a", id: "bc", source2: "ab", id2: "c"},
		{name: "swapped fields", source: "a", id: "b", source2: "b", id2: "a"},
		{name: "empty source vs empty id", source: "", id: "ab", source2: "ab", id2: ""},
		{name: "separator-looking bytes", source: "a\x00", id: "b", source2: "a", id2: "\x00b"},
		{name: "length-prefix-looking bytes", source: "a\x01b", id: "", source2: "a", id2: "b"},
		{name: "different id", source: "/s", id: "1", source2: "/s", id2: "2"},
		{name: "long inputs beyond the stack buffer", source: long, id: long, source2: long, id2: long + "y"},
		{name: "long inputs stable", source: long, id: long, source2: long, id2: long, wantSameAsPair: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := DedupID(tt.source, tt.id), DedupID(tt.source2, tt.id2)
			for _, got := range []string{a, b} {
				if len(got) != 64 || strings.ToLower(got) != got {
					t.Fatalf("DedupID = %q, want 64 lower-case hex characters", got)
				}
				if _, err := hex.DecodeString(got); err != nil {
					t.Fatalf("DedupID = %q is not hex: %v", got, err)
				}
			}
			if (a == b) != tt.wantSameAsPair {
				t.Fatalf("DedupID(%q, %q) = %s, DedupID(%q, %q) = %s; want equal = %v",
					tt.source, tt.id, a, tt.source2, tt.id2, b, tt.wantSameAsPair)
			}
		})
	}
}

// TestDedupIDDefinition pins the documented construction, so the ids of
// events already stored keep matching after a change of code.
func TestDedupIDDefinition(t *testing.T) {
	sum := sha256.Sum256([]byte("\x09/shop/api\x0242"))
	if got, want := DedupID("/shop/api", "42"), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("DedupID = %s, want %s", got, want)
	}
}

func TestDedupIDAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		_ = DedupID("/shop/api", "2f0e1c5a-6a8e-4f57-9d7b-0d1f3c2e4b6a")
	})
	if allocs > 1 {
		t.Fatalf("DedupID allocated %v times, want at most 1 (the result)", allocs)
	}
}
