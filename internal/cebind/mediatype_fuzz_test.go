package cebind

import (
	"mime"
	"strings"
	"testing"
)

// referenceIsJSON is IsJSONMediaType without its fast path.
func referenceIsJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	_, sub, _ := strings.Cut(mt, "/")
	return sub == "json" || strings.HasSuffix(sub, "+json")
}

var mediaTypeSeeds = []string{
	"application/json", "Application/JSON", "application/cloudevents+json", "text/plain",
	"application/+json", "application/json; charset=utf-8", " application/json", "application/json ",
	"json", "/json", "application/", "application/x+JSON", "a/b/c", "application/jso n", "",
}

// TestIsJSONMediaTypeFastPath wants the fast path to agree with parsing.
func TestIsJSONMediaTypeFastPath(t *testing.T) {
	for _, ct := range mediaTypeSeeds {
		if got, want := IsJSONMediaType(ct), referenceIsJSON(ct); got != want {
			t.Errorf("IsJSONMediaType(%q) = %v, parsing says %v", ct, got, want)
		}
	}
}

// FuzzIsJSONMediaType checks the fast path against mime.ParseMediaType.
func FuzzIsJSONMediaType(f *testing.F) {
	for _, s := range mediaTypeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		if got, want := IsJSONMediaType(ct), referenceIsJSON(ct); got != want {
			t.Fatalf("IsJSONMediaType(%q) = %v, parsing says %v", ct, got, want)
		}
		if isSimpleMediaType(ct) {
			if _, _, err := mime.ParseMediaType(ct); err != nil {
				t.Fatalf("isSimpleMediaType(%q) but mime.ParseMediaType: %v", ct, err)
			}
		}
	})
}
