package triggers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

// fuzzRequest builds a POST from a Content-Type, header lines ("Name:
// value", one per line) and a body.
func fuzzRequest(ct, headers string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/events", bytes.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	for line := range strings.SplitSeq(headers, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" {
			continue
		}
		r.Header.Add(k, strings.TrimSpace(v))
	}
	return r
}

// FuzzParseRequest feeds random content types, headers and bodies to
// ParseRequest and to the handler on a real broker: ParseRequest never
// panics and fails only with its sentinels; what it accepts the broker
// codec can store and read back unchanged; and the handler never answers
// 5xx to any of it.
func FuzzParseRequest(f *testing.F) {
	seeds := []struct {
		ct, headers string
		body        string
	}{
		{"text/plain", "ce-specversion: 1.0\nce-id: 1\nce-source: /s\nce-type: t\nce-ext: a%20b", "hello"},
		{"", "ce-specversion: 1.0\nce-id: \"quoted \\\" id\"\nce-source: urn:x\nce-type: t\nce-time: 2024-01-01T00:00:00.5+02:00", ""},
		{"application/octet-stream", "ce-specversion: 1.0\nce-id: %F0%9F%98%80\nce-source: //h/p?q#f\nce-type: t\nce-dataschema: https://x/s.json", "\xff\x00"},
		{"text/plain", "ce-specversion: 0.3\nCe-My-Ext: x\nce-datacontenttype: a/b", "x"},
		{MediaTypeStructured, "", `{"specversion":"1.0","id":"1","source":"/s","type":"t","n":5,"b":true,"x":null,"data":{"a":[1,2]}}`},
		{MediaTypeStructured + "; charset=utf-8", "", `{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"text/plain","data":"\ud83d\ude00"}`},
		{MediaTypeStructured, "", `{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"AAEC"}`},
		{MediaTypeStructured, "", `{"specversion":"1.0","id":"\ud800","source":"/s","type":"t","data":1,"data_base64":"x"}`},
		{MediaTypeBatch, "", `[{"specversion":"1.0","id":"1","source":"/s","type":"a.b"},{"specversion":"1.0","id":"2","source":"/s","type":"a b*>"}]`},
		{MediaTypeBatch, "", `[]`},
		{"application/cloudevents+json; charset=latin1", "", `{}`},
		{"text/plain", "", "no ce headers"},
	}
	for _, s := range seeds {
		f.Add(s.ct, s.headers, []byte(s.body))
	}

	srv := brokertest.Server(f, "")
	client := brokertest.Client(f, srv, broker.StreamSpec{Name: "EVENTS", Subjects: []string{"events.>"}, Storage: broker.StorageMemory, MaxMsgs: 10000})
	h := mustIngest(f, IngestConfig{MaxBodyBytes: MinMaxBodyBytes}, client)

	f.Fuzz(func(t *testing.T, ct, headers string, body []byte) {
		events, err := ParseRequest(fuzzRequest(ct, headers, body), MinMaxBodyBytes)
		if err != nil {
			n := 0
			for _, s := range []error{ErrBadEvent, ErrUnsupportedMediaType, ErrBodyTooLarge} {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("error wraps %d sentinels: %v", n, err)
			}
		}
		for _, e := range events {
			if err := e.Validate(); err != nil {
				t.Fatalf("accepted an event the SDK rejects: %v", err)
			}
			msg, err := broker.EncodeMsg(broker.Subject("events", e.Type()), e)
			if err != nil {
				t.Fatalf("accepted an event the codec cannot encode: %v", err)
			}
			back, err := broker.DecodeMsg(msg.Header, msg.Data)
			if err != nil {
				t.Fatalf("codec cannot decode what it encoded: %v", err)
			}
			if back.ID() != e.ID() || back.Source() != e.Source() || back.Type() != e.Type() || !bytes.Equal(back.Data(), e.Data()) {
				t.Fatalf("round trip through the codec changed the event:\n%s\n%s", e, back)
			}
		}

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, fuzzRequest(ct, headers, body).WithContext(ctx))
		if rec.Code >= 500 {
			t.Fatalf("handler answered %d: %s", rec.Code, rec.Body)
		}
		if rec.Code == http.StatusAccepted && err != nil {
			t.Fatalf("handler accepted what ParseRequest rejects (%v)", err)
		}
	})
}
