package triggers

import (
	"mime"
	"strings"
	"testing"
)

// FuzzPlainNonCloudEvents wants the skip of the media type parse only for
// types that parsing would not call application/cloudevents.
func FuzzPlainNonCloudEvents(f *testing.F) {
	for _, s := range []string{"application/json", "application/cloudevents+json", "Application/CloudEvents-Batch+JSON",
		" application/cloudevents+json", "text/plain; charset=utf-8", "application/cloudevents", "\tapplication/cloudevents+json", "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		if ct == "" || !plainNonCloudEvents(ct) {
			return
		}
		if mt, _, err := mime.ParseMediaType(ct); err == nil && strings.HasPrefix(mt, "application/cloudevents") {
			t.Fatalf("plainNonCloudEvents(%q) but it parses as %q", ct, mt)
		}
	})
}
