package cebind

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go"
)

func TestDecodeStructured(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantData    []byte
		wantAttrs   map[string]string
	}{
		{
			name:        "JSON data and typed extensions",
			contentType: "application/cloudevents+json",
			body: `{"specversion":"1.0","id":"s-1","source":"/shop","type":"com.example.order.created",
				"subject":"order/1","time":"2024-02-29T12:00:00.5+01:00","dataschema":"https://example.com/s.json",
				"datacontenttype":"application/json","data":{"total":9.99,"items":["a"]},
				"strext":"v","intext":42,"boolext":false}`,
			wantData: []byte(`{"total":9.99,"items":["a"]}`),
			wantAttrs: map[string]string{
				"specversion": "1.0", "id": "s-1", "source": "/shop", "type": "com.example.order.created",
				"subject": "order/1", "time": "2024-02-29T11:00:00.5Z", "dataschema": "https://example.com/s.json",
				"datacontenttype": "application/json", "ext:strext": "v", "ext:intext": "42", "ext:boolext": "false",
			},
		},
		{
			name:        "data_base64 with binary bytes",
			contentType: "application/cloudevents+json; charset=utf-8",
			body:        `{"specversion":"1.0","id":"s-2","source":"/s","type":"t","datacontenttype":"application/octet-stream","data_base64":"AP/+gA=="}`,
			wantData:    []byte{0x00, 0xff, 0xfe, 0x80},
			wantAttrs: map[string]string{
				"specversion": "1.0", "id": "s-2", "source": "/s", "type": "t", "datacontenttype": "application/octet-stream",
			},
		},
		{
			name:        "string data for a text type, media type in other case",
			contentType: "Application/CloudEvents+JSON",
			body:        `{"specversion":"1.0","id":"s-3","source":"/s","type":"t","datacontenttype":"text/plain","data":"héllo\n"}`,
			wantData:    []byte("héllo\n"),
			wantAttrs: map[string]string{
				"specversion": "1.0", "id": "s-3", "source": "/s", "type": "t", "datacontenttype": "text/plain",
			},
		},
		{
			name:        "no data",
			contentType: "application/cloudevents+json",
			body:        `{"specversion":"1.0","id":"s-4","source":"/s","type":"t"}`,
			wantAttrs:   map[string]string{"specversion": "1.0", "id": "s-4", "source": "/s", "type": "t"},
		},
		{
			name:        "CloudEvents 0.3 is converted to 1.0",
			contentType: "application/cloudevents+json",
			body:        `{"specversion":"0.3","id":"s-5","source":"/s","type":"t","schemaurl":"https://example.com/s","datacontenttype":"text/plain","data":"x"}`,
			wantData:    []byte("x"),
			wantAttrs: map[string]string{
				"specversion": "1.0", "id": "s-5", "source": "/s", "type": "t",
				"dataschema": "https://example.com/s", "datacontenttype": "text/plain",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// ce- headers, even nonsense ones, do not count in structured mode.
			h := nats.Header{"content-type": {tt.contentType}, "ce-id": {"ignored"}, "ce-bad-name": {"x"}}
			got, err := DecodeMsg(h, []byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeMsg: %v", err)
			}
			attrs := codecAttrs(t, got)
			for k, want := range tt.wantAttrs {
				if attrs[k] != want {
					t.Errorf("attribute %s = %q, want %q", k, attrs[k], want)
				}
			}
			if len(attrs) != len(tt.wantAttrs) {
				t.Errorf("attributes = %q, want %q", attrs, tt.wantAttrs)
			}
			if !bytes.Equal(got.DataEncoded, tt.wantData) {
				t.Errorf("data = %q, want %q", got.DataEncoded, tt.wantData)
			}
			if _, ok := got.Context.(*event.EventContextV1); !ok {
				t.Errorf("context is %T, want *event.EventContextV1", got.Context)
			}
			// What structured mode decodes, binary mode carries.
			msg, err := EncodeMsg("events.t", got)
			if err != nil {
				t.Fatalf("EncodeMsg of the decoded event: %v", err)
			}
			again, err := DecodeMsg(msg.Header, msg.Data)
			if err != nil {
				t.Fatalf("DecodeMsg of the re-encoded event: %v", err)
			}
			codecAssertSameEvent(t, again, got)
		})
	}
}

// TestDecodeStructuredFromSDK decodes sdk-go's own JSON encoding of every
// round-trip event.
func TestDecodeStructuredFromSDK(t *testing.T) {
	for _, tc := range codecEvents(t) {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.event.Clone()
			// sdk-go writes a timestamp extension in JSON with its own
			// offset but reads it back as a plain string: hold it in UTC
			// so the canonical forms compare.
			for name, v := range e.Extensions() {
				if ts, ok := v.(types.Timestamp); ok {
					e.SetExtension(name, types.Timestamp{Time: ts.Time.UTC()})
				}
			}
			// Bytes that are not UTF-8 only survive JSON as data_base64.
			e.DataBase64 = e.DataEncoded != nil && !json.Valid(e.DataEncoded) && e.DataMediaType() != "text/plain"
			body, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			got, err := DecodeMsg(nats.Header{"Content-Type": {"application/cloudevents+json"}}, body)
			if err != nil {
				t.Fatalf("DecodeMsg(%s): %v", body, err)
			}
			// JSON keeps extension types, binary mode turns them into
			// strings: compare canonical forms.
			codecAssertSameEvent(t, got, &e)
		})
	}
}

func TestDecodeStructuredErrors(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantAttr string
	}{
		{name: "not JSON", body: `not json`},
		{name: "truncated JSON", body: `{"specversion":"1.0","id":`},
		{name: "JSON array", body: `[{"specversion":"1.0"}]`},
		{name: "unknown specversion", body: `{"specversion":"2.0","id":"1","source":"/s","type":"t"}`},
		{name: "missing id", body: `{"specversion":"1.0","source":"/s","type":"t"}`, wantAttr: "id"},
		{name: "missing type", body: `{"specversion":"1.0","id":"1","source":"/s"}`, wantAttr: "type"},
		{name: "bad data_base64", body: `{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"!!"}`},
		{name: "datacontenttype with a leading space", body: `{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":" text/plain"}`, wantAttr: "datacontenttype"},
		{name: "object extension", body: `{"specversion":"1.0","id":"1","source":"/s","type":"t","ext":{"a":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeMsg(nats.Header{"Content-Type": {"application/cloudevents+json"}}, []byte(tt.body))
			if !errors.Is(err, ErrMalformedEvent) {
				t.Fatalf("DecodeMsg = %v, %v; want error wrapping ErrMalformedEvent", got, err)
			}
			if tt.wantAttr == "" {
				return
			}
			var ae *AttributeError
			if !errors.As(err, &ae) || ae.Attribute != tt.wantAttr {
				t.Fatalf("error %v does not name attribute %q", err, tt.wantAttr)
			}
		})
	}
}
