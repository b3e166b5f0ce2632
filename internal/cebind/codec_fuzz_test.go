package cebind

import (
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
)

// codecFuzzHeader turns fuzz input into headers: one "key:value" per line,
// split at the first ':'; no trimming, so values may hold any byte but LF.
func codecFuzzHeader(block string) nats.Header {
	h := nats.Header{}
	for line := range strings.SplitSeq(block, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		h[k] = append(h[k], v)
	}
	return h
}

func FuzzDecodeMsg(f *testing.F) {
	seeds := []struct {
		header string
		data   string
	}{
		{"ce-specversion:1.0\nce-id:1\nce-source:/s\nce-type:t", ""},
		{"ce-specversion:1.0\nce-id:a%20b\nce-source:https://x/y?z#f\nce-type:com.example.t\nce-subject:%E2%9C%93\nce-time:2024-01-02T03:04:05.123456789Z\nce-dataschema:https://s/x\nContent-Type:application/json\nce-ext:42", `{"a":1}`},
		{"Ce-Specversion:1.0\nCE-ID:1\nce-source:/s\nce-type:t\ncontent-type:text/plain; charset=utf-8\nce-MyExt:%zz", "\xff\x00"},
		{"ce-specversion:1.0\nce-id:1\nce-source:/s\nce-type:t\nce-datacontenttype:text/plain", "x"},
		{"ce-specversion:0.3\nce-id:1", ""},
		{"ce-specversion:1.0\nce-id:1\nce-id:2", ""},
		{"Content-Type:application/cloudevents+json", `{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"AP8=","x":1}`},
		{"Content-Type:application/cloudevents+json", `{"specversion":"0.3","id":"1","source":"/s","type":"t","schemaurl":"https://s","datacontentencoding":"base64","data":"AP8="}`},
		{"Content-Type:application/cloudevents-batch+json", `[]`},
		{"ce-specversion:1.0\nce-id:1\nce-source://h%2Fo/a/../b;p?q=%zz#f%20g\nce-type:t\nce-dataschema:mailto:a@b", ""},
		{"ce-specversion:1.0\nce-id:1\nce-source:http://[::1]:8080/%C3%BC\nce-type:t\nce-time:0000-01-01T00:00:00-01:00", ""},
		{"Content-Type: application/cloudevents+json", `{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"2024-01-02T03:04:05+02:00","data":{"a":[1,2]}}`},
	}
	for _, s := range seeds {
		f.Add(s.header, []byte(s.data))
	}
	f.Fuzz(func(t *testing.T, header string, data []byte) {
		h := codecFuzzHeader(header)
		e1, err := DecodeMsg(h, data)
		if err != nil {
			if !errors.Is(err, ErrMalformedEvent) {
				t.Fatalf("DecodeMsg error %v does not wrap ErrMalformedEvent", err)
			}
			return
		}
		// The fast validity check never lets through what sdk-go rejects.
		if err := e1.Validate(); err != nil {
			t.Fatalf("DecodeMsg returned an event that event.Validate rejects: %v", err)
		}
		// What decodes must encode, and decode again to the same event.
		m1, err := EncodeMsg("events.fuzz", e1)
		if err != nil {
			t.Fatalf("EncodeMsg of a decoded event: %v\nevent: %v", err, e1)
		}
		codecAssertWireSafe(t, m1)
		e2, err := DecodeMsg(m1.Header, m1.Data)
		if err != nil {
			t.Fatalf("DecodeMsg of a re-encoded event: %v\nheaders: %v", err, m1.Header)
		}
		codecAssertSameEvent(t, e2, e1)
		// And from there on the encoding is a fixed point.
		m2, err := EncodeMsg("events.fuzz", e2)
		if err != nil {
			t.Fatalf("second EncodeMsg: %v", err)
		}
		for k, v := range m1.Header {
			if got := m2.Header[k]; len(got) != 1 || got[0] != v[0] {
				t.Fatalf("header %s = %q after a second trip, want %q", k, got, v)
			}
		}
		if len(m1.Header) != len(m2.Header) {
			t.Fatalf("headers %v after a second trip, want %v", m2.Header, m1.Header)
		}
	})
}
