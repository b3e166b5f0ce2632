package functions

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// headersFrom reads "Key: value" lines into a header.
func headersFrom(s string) http.Header {
	h := make(http.Header)
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		h.Add(textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k)), strings.TrimSpace(v))
	}
	return h
}

// FuzzParseHTTPReply: whatever an HTTP function answers, parsing it returns
// valid events or an error, and a binary-mode event survives being written
// and read again.
func FuzzParseHTTPReply(f *testing.F) {
	f.Add("Ce-Specversion: 1.0\nCe-Id: 1\nCe-Source: /s\nCe-Type: t\nContent-Type: text/plain", []byte("hi"))
	f.Add("Ce-Specversion: 1.0\nCe-Id: a%20b\nCe-Source: /s\nCe-Type: t\nCe-Time: 2025-01-01T00:00:00Z\nCe-Ext: %C3%9F", []byte(nil))
	f.Add("Ce-Specversion: 0.3\nCe-Id: 1\nCe-Source: /s\nCe-Type: t\nCe-: x\nCe-Bad-Name: y", []byte(nil))
	f.Add("Content-Type: application/cloudevents+json", []byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"a":1}}`))
	f.Add("Content-Type: application/cloudevents-batch+json", []byte(`[{"specversion":"1.0","id":"1","source":"/s","type":"t"}]`))
	f.Add("Content-Type: application/cloudevents+json", []byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"!!"}`))
	f.Add("Content-Type: application/json", []byte(`{"a":1}`))
	f.Fuzz(func(t *testing.T, headers string, body []byte) {
		h := headersFrom(headers)
		events, err := parseHTTPReply(h, body)
		if err != nil {
			return
		}
		for _, e := range events {
			if err := e.Validate(); err != nil {
				t.Fatalf("parsed an invalid event: %v", err)
			}
		}
		if h.Get("Ce-Specversion") == "" || len(events) != 1 {
			return
		}
		h2 := make(http.Header)
		data, err := writeBinaryHeaders(h2, &events[0])
		if err != nil {
			t.Fatalf("writeBinaryHeaders: %v", err)
		}
		again, err := eventFromBinary(h2, data)
		if err != nil {
			t.Fatalf("event does not survive a binary round trip: %v\nheaders %v", err, h2)
		}
		a, _ := json.Marshal(events[0])
		b, _ := json.Marshal(again)
		if !bytes.Equal(a, b) {
			t.Fatalf("binary round trip changed the event\n got %s\nwant %s", b, a)
		}
	})
}

// FuzzParseRetryAfter: any header value gives a non-negative delay or none.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", "-1", "Sat, 01 Mar 2025 12:01:30 GMT", "Saturday, 01-Mar-25 12:00:10 GMT", "x", "99999999999"} {
		f.Add(s)
	}
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("parseRetryAfter(%q) = %s, %v", s, d, ok)
		}
	})
}

// FuzzParseExecOutput: whatever a program prints, the result is no event,
// valid events, or an error.
func FuzzParseExecOutput(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("done\n"))
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t"}`))
	f.Add([]byte(`[{"specversion":"1.0","id":"1","source":"/s","type":"t"},{}]`))
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"yesterday"}`))
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"application/json","data":[1,2]}`))
	f.Fuzz(func(t *testing.T, stdout []byte) {
		events, err := parseExecOutput(stdout)
		if err != nil {
			return
		}
		for _, e := range events {
			if err := e.Validate(); err != nil {
				t.Fatalf("parsed an invalid event: %v", err)
			}
		}
	})
}
