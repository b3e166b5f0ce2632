package cebind

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go"
)

// The -update flag rewrites golden files. The broker test binary registers
// it once; other test files of the package look it up with flag.Lookup
// instead of registering it again.
var _ = func() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/")
	}
	return true
}()

// codecUpdating reports whether -update was given.
func codecUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// codecRenderMsg writes msg as text: the subject, the headers in name order
// and the payload (quoted when it is not UTF-8).
func codecRenderMsg(msg *nats.Msg) string {
	var b strings.Builder
	fmt.Fprintf(&b, "subject: %s\n", msg.Subject)
	keys := make([]string, 0, len(msg.Header))
	for k := range msg.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range msg.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	if utf8.Valid(msg.Data) {
		b.Write(msg.Data)
	} else {
		fmt.Fprintf(&b, "%q", msg.Data)
	}
	b.WriteString("\n")
	return b.String()
}

// TestEncodeMsgGolden pins the exact bytes EncodeMsg writes for a few
// events: header names, escapes, time format, extension forms, dedup id.
func TestEncodeMsgGolden(t *testing.T) {
	when := time.Date(2024, 2, 29, 13, 14, 15, 123456789, time.FixedZone("CET", 3600))
	tests := []struct {
		name  string
		event event.Event
	}{
		{name: "full", event: codecNewEvent(t, "a7d3c1e0-0001", "https://shop.example.com/api", "com.example.order.created",
			func(e *event.Event) error {
				e.SetSubject("order/42")
				e.SetTime(when)
				e.SetDataSchema("https://schemas.example.com/order.json")
				e.SetExtension("intext", 7)
				e.SetExtension("boolext", true)
				e.SetExtension("binext", []byte{0, 1, 0xff})
				e.SetExtension("timeext", types.Timestamp{Time: when})
				e.SetExtension("uriext", types.URI{URL: *codecMustURL(t, "https://example.com/x?y=1")})
				return e.SetData(event.ApplicationJSON, map[string]int{"qty": 2})
			})},
		{name: "escapes", event: codecNewEvent(t, " 50% \"off\"\r\n", "urn:example:ünï", "com.example.a b.*",
			func(e *event.Event) error {
				e.SetSubject("naïve ✓\t")
				e.SetExtension("note", "100%25")
				return e.SetData("application/octet-stream", []byte{0xff, 0x00, 'a'})
			})},
		{name: "minimal", event: codecNewEvent(t, "1", "/s", "t")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := EncodeMsg(Subject("events", tt.event.Type()), &tt.event)
			if err != nil {
				t.Fatalf("EncodeMsg: %v", err)
			}
			got := codecRenderMsg(msg)
			path := filepath.Join("testdata", "codec", tt.name+".golden")
			if codecUpdating() {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if got != string(want) {
				t.Fatalf("EncodeMsg output differs from %s (run with -update if the change is intended):\n got:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}
