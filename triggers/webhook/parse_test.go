package webhook

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseStripeHeader(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		wantT   int64
		wantV1  [][]byte
		wantErr error
	}{
		{name: "one v1", header: "t=12,v1=0a0b", wantT: 12, wantV1: [][]byte{{0x0a, 0x0b}}},
		{name: "two v1 and v0", header: "t=12,v1=01,v0=02,v1=03", wantT: 12, wantV1: [][]byte{{1}, {3}}},
		{name: "spaces around items", header: " t=12 , v1=01 ", wantT: 12, wantV1: [][]byte{{1}}},
		{name: "order does not matter", header: "v1=01,t=12", wantT: 12, wantV1: [][]byte{{1}}},
		{name: "non-hex v1 skipped", header: "t=12,v1=zz,v1=01", wantT: 12, wantV1: [][]byte{{1}}},
		{name: "unknown keys ignored", header: "t=12,scheme=x,v1=01", wantT: 12, wantV1: [][]byte{{1}}},
		{name: "no v1 is not a parse error", header: "t=12", wantT: 12},
		{name: "no t", header: "v1=01", wantErr: ErrMalformedHeader},
		{name: "two t", header: "t=1,t=2,v1=01", wantErr: ErrMalformedHeader},
		{name: "t not a number", header: "t=now,v1=01", wantErr: ErrMalformedHeader},
		{name: "item without =", header: "t=12,v1", wantErr: ErrMalformedHeader},
		{name: "trailing comma", header: "t=12,v1=01,", wantErr: ErrMalformedHeader},
		{name: "empty", header: "", wantErr: ErrMalformedHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStripeHeader(tt.header)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("parseStripeHeader(%q) error = %v, want %v", tt.header, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseStripeHeader(%q): %v", tt.header, err)
			}
			if got.timestamp != tt.wantT || !equalAll(got.v1, tt.wantV1) {
				t.Errorf("parseStripeHeader(%q) = t %d v1 %x, want t %d v1 %x", tt.header, got.timestamp, got.v1, tt.wantT, tt.wantV1)
			}
		})
	}
}

func TestParseStandardSignatures(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   [][]byte
	}{
		{name: "one", header: "v1,AQI=", want: [][]byte{{1, 2}}},
		{name: "several, extra spaces", header: "  v1,AQI=   v1,Aw== ", want: [][]byte{{1, 2}, {3}}},
		{name: "other versions skipped", header: "v1a,AQI= v2,AQI= v1,Aw==", want: [][]byte{{3}}},
		{name: "not base64 skipped", header: "v1,*** v1,Aw==", want: [][]byte{{3}}},
		{name: "no comma skipped", header: "v1 AQI=", want: nil},
		{name: "empty", header: "", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseStandardSignatures(tt.header); !equalAll(got, tt.want) {
				t.Errorf("parseStandardSignatures(%q) = %x, want %x", tt.header, got, tt.want)
			}
		})
	}
}

func equalAll(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
