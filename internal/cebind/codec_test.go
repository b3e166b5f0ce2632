package cebind

import (
	"bytes"
	"errors"
	"maps"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go"
)

// codecEvent is one event of the round-trip table.
type codecEvent struct {
	name  string
	event event.Event
}

// codecMustURL parses a URL or fails the test.
func codecMustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return u
}

// codecNewEvent builds a valid 1.0 event with the required attributes and
// applies the setters.
func codecNewEvent(t testing.TB, id, source, typ string, set ...func(e *event.Event) error) event.Event {
	t.Helper()
	e := event.New()
	e.SetID(id)
	e.SetSource(source)
	e.SetType(typ)
	for _, f := range set {
		if err := f(&e); err != nil {
			t.Fatalf("build event %s: %v", id, err)
		}
	}
	if err := e.Validate(); err != nil {
		t.Fatalf("event %s is not valid: %v", id, err)
	}
	return e
}

// codecEvents is the round-trip table: events built with sdk-go that use
// every attribute, several extension types and awkward bytes.
func codecEvents(t testing.TB) []codecEvent {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		berlin = time.FixedZone("CET", 3600)
	}
	when := time.Date(2024, 2, 29, 13, 14, 15, 123456789, berlin)
	binaryData := []byte{0x00, 0xff, 0xfe, 0x80, '\r', '\n', 0x01, '%', '2', '0', 0xc3}

	return []codecEvent{
		{name: "all attributes and every extension type", event: codecNewEvent(t,
			"a7d3c1e0-0001", "https://shop.example.com/api", "com.example.order.created",
			func(e *event.Event) error {
				e.SetSubject("order/42")
				e.SetTime(when)
				e.SetDataSchema("https://schemas.example.com/order.json")
				if err := e.SetData(event.ApplicationJSON, map[string]any{"id": 42, "total": "9.99"}); err != nil {
					return err
				}
				for name, v := range map[string]any{
					"strext":      "plain",
					"intext":      int32(-42),
					"boolext":     true,
					"uriext":      types.URI{URL: *codecMustURL(t, "https://example.com/a?b=c#d")},
					"refext":      types.URIRef{URL: *codecMustURL(t, "/relative/path")},
					"timeext":     types.Timestamp{Time: when},
					"binext":      []byte{0, 1, 2, 0xff},
					"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
				} {
					e.SetExtension(name, v)
				}
				return nil
			}),
		},
		{name: "binary non-UTF-8 data", event: codecNewEvent(t, "bin-1", "/sensors/7", "com.example.reading",
			func(e *event.Event) error { return e.SetData("application/octet-stream", binaryData) }),
		},
		{name: "unicode in attributes and data", event: codecNewEvent(t,
			"ид-ünï-🚀", "urn:example:ünïcode:店", "com.example.ünïcode.créé",
			func(e *event.Event) error {
				e.SetSubject("naïve 💥 «quoted»")
				e.SetExtension("note", "grüße, 世界")
				return e.SetData("text/plain; charset=utf-8", "héllo wörld ✓")
			}),
		},
		{name: "header-hostile bytes in values", event: codecNewEvent(t,
			"50% \"off\" X-Injected: yes", "/shop/ünïcode/店 x?q=a b", "com.example.a b",
			func(e *event.Event) error {
				e.SetSubject("tabbed\tinside, %41 is not A")
				e.SetExtension("literalescape", "%20 is not a space, %zz is not an escape, 100%")
				e.SetExtension("ctl", "\x00\x01\x7f")
				e.SetExtension("badutf8", "a\xffb\xc3")
				return nil
			}),
		},
		{name: "empty data", event: codecNewEvent(t, "empty-1", "/s", "com.example.empty",
			func(e *event.Event) error { return e.SetData("application/json", []byte{}) }),
		},
		{name: "no data and no datacontenttype", event: codecNewEvent(t, "bare-1", "/s", "com.example.bare")},
		{name: "data without datacontenttype", event: codecNewEvent(t, "nodct-1", "/s", "com.example.nodct",
			func(e *event.Event) error { e.DataEncoded = []byte(`{"a":1}`); return nil }),
		},
		{name: "time in UTC without fraction", event: codecNewEvent(t, "utc-1", "/s", "com.example.utc",
			func(e *event.Event) error { e.SetTime(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)); return nil }),
		},
		{name: "type that needs subject escaping", event: codecNewEvent(t, "esc-1", "/s", ".a..b.*.>.%",
			func(e *event.Event) error { return nil }),
		},
	}
}

// codecAttrs returns every attribute of e as its canonical string, keyed by
// attribute name; extensions use types.Format. It is what "equal in all
// attributes" means for a binary-mode trip, where extension values travel
// as strings.
func codecAttrs(t testing.TB, e *event.Event) map[string]string {
	t.Helper()
	ec := e.Context.AsV1()
	m := map[string]string{
		"specversion": ec.GetSpecVersion(),
		"id":          ec.ID,
		"source":      ec.Source.String(),
		"type":        ec.Type,
	}
	if ec.Subject != nil {
		m["subject"] = *ec.Subject
	}
	if ec.Time != nil {
		m["time"] = types.FormatTime(ec.Time.Time)
	}
	if ec.DataSchema != nil {
		m["dataschema"] = ec.DataSchema.String()
	}
	if ec.DataContentType != nil {
		m["datacontenttype"] = *ec.DataContentType
	}
	for name, v := range ec.Extensions {
		s, err := types.Format(v)
		if err != nil {
			t.Fatalf("extension %s: %v", name, err)
		}
		m["ext:"+name] = s
	}
	return m
}

// codecAssertSameEvent fails unless got has the attributes and the data
// bytes of want.
func codecAssertSameEvent(t testing.TB, got, want *event.Event) {
	t.Helper()
	ga, wa := codecAttrs(t, got), codecAttrs(t, want)
	if !maps.Equal(ga, wa) {
		for k, w := range wa {
			if g, ok := ga[k]; !ok || g != w {
				t.Errorf("attribute %s = %q (present %v), want %q", k, g, ok, w)
			}
		}
		for k, g := range ga {
			if _, ok := wa[k]; !ok {
				t.Errorf("unexpected attribute %s = %q", k, g)
			}
		}
		t.FailNow()
	}
	if !bytes.Equal(got.DataEncoded, want.DataEncoded) {
		t.Fatalf("data = %q, want %q", got.DataEncoded, want.DataEncoded)
	}
	if got.SpecVersion() != event.CloudEventsVersionV1 {
		t.Fatalf("specversion = %q, want 1.0", got.SpecVersion())
	}
}

// codecAssertWireSafe fails unless every header of msg survives a trip
// through a NATS client: names are the exact lower-case binding names and
// values hold no CR or LF and no surrounding white space (anything else
// travels raw).
func codecAssertWireSafe(t testing.TB, msg *nats.Msg) {
	t.Helper()
	for k, vs := range msg.Header {
		if len(vs) != 1 {
			t.Errorf("header %s has %d values", k, len(vs))
		}
		if lk := strings.ToLower(k); (strings.HasPrefix(lk, "ce-") || lk == "content-type") && k != lk {
			t.Errorf("header %q is not lower-case", k)
		}
		for _, v := range vs {
			if v != strings.Trim(v, " \t") {
				t.Errorf("header %s value %q has surrounding whitespace", k, v)
			}
			if strings.ContainsAny(v, "\r\n") {
				t.Errorf("header %s value %q has CR or LF", k, v)
			}
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, tc := range codecEvents(t) {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.event
			subject := Subject("events", e.Type())
			msg, err := EncodeMsg(subject, &e)
			if err != nil {
				t.Fatalf("EncodeMsg: %v", err)
			}
			if msg.Subject != subject {
				t.Fatalf("subject = %q, want %q", msg.Subject, subject)
			}
			codecAssertWireSafe(t, msg)
			if got, want := msg.Header.Get(hdrMsgID), DedupID(e.Source(), e.ID()); got != want {
				t.Fatalf("Nats-Msg-Id = %q, want DedupID = %q", got, want)
			}
			if got := msg.Header.Get(hdrSpecVersion); got != "1.0" {
				t.Fatalf("ce-specversion = %q", got)
			}
			if dct := e.DataContentType(); dct != "" && msg.Header.Get(hdrContentType) != dct {
				t.Fatalf("Content-Type = %q, want %q", msg.Header.Get(hdrContentType), dct)
			}
			if e.DataContentType() == "" {
				if _, ok := msg.Header[hdrContentType]; ok {
					t.Fatalf("Content-Type set without datacontenttype")
				}
			}
			got, err := DecodeMsg(msg.Header, msg.Data)
			if err != nil {
				t.Fatalf("DecodeMsg: %v", err)
			}
			codecAssertSameEvent(t, got, &e)
			if typ, err := TypeFromSubject("events", msg.Subject); err != nil || typ != e.Type() {
				t.Fatalf("TypeFromSubject = %q, %v; want %q", typ, err, e.Type())
			}
		})
	}
}

func TestEncodeConvertsV03(t *testing.T) {
	e := event.New(event.CloudEventsVersionV03)
	e.SetID("old-1")
	e.SetSource("/legacy")
	e.SetType("com.example.legacy")
	e.SetSubject("s")
	e.SetDataSchema("https://example.com/schema")
	e.SetExtension("foo", "bar")
	if err := e.SetData("text/plain", "hi"); err != nil {
		t.Fatal(err)
	}
	msg, err := EncodeMsg("events.legacy", &e)
	if err != nil {
		t.Fatalf("EncodeMsg: %v", err)
	}
	got, err := DecodeMsg(msg.Header, msg.Data)
	if err != nil {
		t.Fatalf("DecodeMsg: %v", err)
	}
	want := e.Clone()
	want.Context = e.Context.AsV1()
	codecAssertSameEvent(t, got, &want)
}

func TestDecodeMsgCaseInsensitiveHeaders(t *testing.T) {
	h := nats.Header{
		"Ce-Specversion": {"1.0"},
		"CE-ID":          {"x%201"},
		"Ce-Source":      {"/s"},
		"Ce-Type":        {"t"},
		"Ce-Myext":       {"v"},
		"content-type":   {"text/plain"},
		"Nats-Msg-Id":    {"legacy"}, // written before Fnmesh-Codec: percent-encoded
	}
	got, err := DecodeMsg(h, []byte("hi"))
	if err != nil {
		t.Fatalf("DecodeMsg: %v", err)
	}
	if got.ID() != "x 1" || got.Source() != "/s" || got.Type() != "t" || got.DataContentType() != "text/plain" {
		t.Fatalf("decoded %v", got)
	}
	if v := got.Extensions()["myext"]; v != "v" {
		t.Fatalf("extension myext = %v, want v", v)
	}
}

func TestDecodeMsgPercentDecoding(t *testing.T) {
	tests := []struct {
		header string
		want   string
	}{
		{header: "plain", want: "plain"},
		{header: "a%20b", want: "a b"},
		{header: "%e2%9C%93", want: "✓"},
		{header: "100%", want: "100%"},
		{header: "%zz", want: "%zz"},
		{header: "%2", want: "%2"},
		{header: "%%41", want: "%A"},
		{header: "raw ünïcode", want: "raw ünïcode"},
	}
	for _, tt := range tests {
		// A Nats-Msg-Id without Fnmesh-Codec: a message of an earlier
		// fnmesh, whose values were percent-encoded.
		h := nats.Header{"ce-specversion": {"1.0"}, "ce-id": {"1"}, "ce-source": {"/s"}, "ce-type": {"t"}, "ce-subject": {tt.header}, "Nats-Msg-Id": {"x"}}
		got, err := DecodeMsg(h, nil)
		if err != nil {
			t.Fatalf("DecodeMsg(subject %q): %v", tt.header, err)
		}
		if got.Subject() != tt.want {
			t.Errorf("subject %q decoded to %q, want %q", tt.header, got.Subject(), tt.want)
		}
	}
}

func TestDecodeMsgDataBase64Flag(t *testing.T) {
	base := nats.Header{"ce-specversion": {"1.0"}, "ce-id": {"1"}, "ce-source": {"/s"}, "ce-type": {"t"}}
	tests := []struct {
		name string
		data []byte
		want bool
	}{
		{name: "UTF-8 text", data: []byte("héllo"), want: false},
		{name: "binary", data: []byte{0xff, 0x00}, want: true},
		{name: "empty", data: nil, want: false},
	}
	for _, tt := range tests {
		got, err := DecodeMsg(base, tt.data)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got.DataBase64 != tt.want {
			t.Errorf("%s: DataBase64 = %v, want %v", tt.name, got.DataBase64, tt.want)
		}
		if tt.data == nil && got.DataEncoded != nil {
			t.Errorf("%s: DataEncoded = %q, want nil", tt.name, got.DataEncoded)
		}
	}
}

func TestDecodeMsgErrors(t *testing.T) {
	valid := func(extra map[string][]string, drop ...string) nats.Header {
		h := nats.Header{"ce-specversion": {"1.0"}, "ce-id": {"1"}, "ce-source": {"/s"}, "ce-type": {"t"}}
		for _, k := range drop {
			delete(h, k)
		}
		maps.Copy(h, extra)
		return h
	}
	tests := []struct {
		name     string
		header   nats.Header
		wantAttr string
	}{
		{name: "no headers at all", header: nil, wantAttr: "specversion"},
		{name: "missing specversion", header: valid(nil, "ce-specversion"), wantAttr: "specversion"},
		{name: "unsupported specversion", header: valid(map[string][]string{"ce-specversion": {"0.3"}}), wantAttr: "specversion"},
		{name: "missing id", header: valid(nil, "ce-id"), wantAttr: "id"},
		{name: "blank id", header: valid(map[string][]string{"ce-id": {" "}}), wantAttr: "id"},
		{name: "blank id, legacy percent-encoded", header: valid(map[string][]string{"ce-id": {"%20"}, "Nats-Msg-Id": {"x"}}), wantAttr: "id"},
		{name: "missing source", header: valid(nil, "ce-source"), wantAttr: "source"},
		{name: "source not a URI-reference", header: valid(map[string][]string{"ce-source": {"%zz"}}), wantAttr: "source"},
		{name: "missing type", header: valid(nil, "ce-type"), wantAttr: "type"},
		{name: "bad time", header: valid(map[string][]string{"ce-time": {"yesterday"}}), wantAttr: "time"},
		{name: "relative dataschema", header: valid(map[string][]string{"ce-dataschema": {"/schema"}}), wantAttr: "dataschema"},
		{name: "empty subject", header: valid(map[string][]string{"ce-subject": {""}}), wantAttr: "subject"},
		{name: "invalid media type", header: valid(map[string][]string{"Content-Type": {"text/"}}), wantAttr: "datacontenttype"},
		{name: "Content-Type with leading space", header: valid(map[string][]string{"Content-Type": {" text/plain"}}), wantAttr: "datacontenttype"},
		{name: "Content-Type with CR", header: valid(map[string][]string{"Content-Type": {"text/plain;a=\"\r\""}}), wantAttr: "datacontenttype"},
		{name: "two Content-Type headers", header: valid(map[string][]string{"Content-Type": {"a/b"}, "content-type": {"a/b"}}), wantAttr: "datacontenttype"},
		{name: "Content-Type and ce-datacontenttype disagree", header: valid(map[string][]string{"Content-Type": {"a/b"}, "ce-datacontenttype": {"c/d"}}), wantAttr: "datacontenttype"},
		{name: "id twice by case", header: valid(map[string][]string{"Ce-Id": {"2"}}), wantAttr: "id"},
		{name: "id with two values", header: valid(map[string][]string{"ce-id": {"1", "2"}}), wantAttr: "id"},
		{name: "extension with a dash", header: valid(map[string][]string{"ce-my-ext": {"v"}}), wantAttr: "my-ext"},
		{name: "extension named data", header: valid(map[string][]string{"ce-data": {"v"}}), wantAttr: "data"},
		{name: "empty extension name", header: valid(map[string][]string{"ce-": {"v"}}), wantAttr: ""},
		{name: "extension twice by case", header: valid(map[string][]string{"ce-ext": {"a"}, "Ce-Ext": {"b"}}), wantAttr: "ext"},
		{name: "batch content type", header: valid(map[string][]string{"Content-Type": {"application/cloudevents-batch+json"}}), wantAttr: "datacontenttype"},
		{name: "unsupported structured format", header: valid(map[string][]string{"Content-Type": {"application/cloudevents+avro"}}), wantAttr: "datacontenttype"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeMsg(tt.header, []byte("x"))
			if !errors.Is(err, ErrMalformedEvent) {
				t.Fatalf("DecodeMsg = %v, %v; want error wrapping ErrMalformedEvent", got, err)
			}
			var ae *AttributeError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *AttributeError", err)
			}
			if ae.Attribute != tt.wantAttr {
				t.Fatalf("error %v names attribute %q, want %q", err, ae.Attribute, tt.wantAttr)
			}
			if !strings.Contains(err.Error(), `"`+tt.wantAttr+`"`) {
				t.Fatalf("error message %q does not name %q", err, tt.wantAttr)
			}
		})
	}
}

func TestEncodeMsgErrors(t *testing.T) {
	valid := func() event.Event { return codecNewEvent(t, "1", "/s", "t") }
	tests := []struct {
		name     string
		subject  string
		event    func() *event.Event
		wantErr  error
		wantAttr string
	}{
		{name: "nil event", subject: "events.t", event: func() *event.Event { return nil }, wantErr: ErrMalformedEvent, wantAttr: "specversion"},
		{name: "no context", subject: "events.t", event: func() *event.Event { return &event.Event{} }, wantErr: ErrMalformedEvent, wantAttr: "specversion"},
		{name: "missing id", subject: "events.t", event: func() *event.Event { e := valid(); e.SetID(""); return &e }, wantErr: ErrMalformedEvent, wantAttr: "id"},
		{name: "upper-case extension name", subject: "events.t", event: func() *event.Event {
			e := valid()
			e.Context.(*event.EventContextV1).Extensions = map[string]any{"MyExt": "v"}
			return &e
		}, wantErr: ErrMalformedEvent, wantAttr: "MyExt"},
		{name: "extension value of no CloudEvents type", subject: "events.t", event: func() *event.Event {
			e := valid()
			e.Context.(*event.EventContextV1).Extensions = map[string]any{"obj": map[string]int{"a": 1}}
			return &e
		}, wantErr: ErrMalformedEvent, wantAttr: "obj"},
		{name: "datacontenttype with CRLF", subject: "events.t", event: func() *event.Event {
			e := valid()
			e.SetDataContentType("text/plain; a=\"\r\n\"")
			return &e
		}, wantErr: ErrMalformedEvent, wantAttr: "datacontenttype"},
		{name: "datacontenttype with trailing space", subject: "events.t", event: func() *event.Event {
			e := valid()
			dct := "text/plain "
			e.Context.(*event.EventContextV1).DataContentType = &dct
			return &e
		}, wantErr: ErrMalformedEvent, wantAttr: "datacontenttype"},
		{name: "time beyond RFC 3339", subject: "events.t", event: func() *event.Event {
			e := valid()
			e.SetTime(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
			return &e
		}, wantErr: ErrMalformedEvent, wantAttr: "time"},
		{name: "empty subject", subject: "", event: func() *event.Event { e := valid(); return &e }, wantErr: ErrInvalidSubject},
		{name: "wildcard subject", subject: "events.>", event: func() *event.Event { e := valid(); return &e }, wantErr: ErrInvalidSubject},
		{name: "subject with space", subject: "events.a b", event: func() *event.Event { e := valid(); return &e }, wantErr: ErrInvalidSubject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := EncodeMsg(tt.subject, tt.event())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("EncodeMsg = %v, %v; want error wrapping %v", msg, err, tt.wantErr)
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

func TestEncodeMsgSharesData(t *testing.T) {
	e := codecNewEvent(t, "1", "/s", "t", func(e *event.Event) error { return e.SetData("text/plain", "abc") })
	msg, err := EncodeMsg("events.t", &e)
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Data) == 0 || &msg.Data[0] != &e.DataEncoded[0] {
		t.Fatalf("message data does not share the event's DataEncoded")
	}
}

func TestDecodedEventReEncodes(t *testing.T) {
	for _, tc := range codecEvents(t) {
		e := tc.event
		msg, err := EncodeMsg("events.x", &e)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		d1, err := DecodeMsg(msg.Header, msg.Data)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		msg2, err := EncodeMsg("events.x", d1)
		if err != nil {
			t.Fatalf("%s: re-encode: %v", tc.name, err)
		}
		if !maps.EqualFunc(msg.Header, msg2.Header, func(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }) {
			t.Fatalf("%s: headers changed on re-encode:\n%v\n%v", tc.name, msg.Header, msg2.Header)
		}
	}
}

// TestValidFastAgreesWithSDK checks that the allocation-free validity check
// never accepts what event.Validate rejects, and that the errors then come
// from event.Validate.
func TestValidFastAgreesWithSDK(t *testing.T) {
	blank, tab := " ", "\t"
	tests := []struct {
		name     string
		mutate   func(ec *event.EventContextV1)
		wantAttr string
	}{
		{name: "blank id", mutate: func(ec *event.EventContextV1) { ec.ID = " \t" }, wantAttr: "id"},
		{name: "blank type", mutate: func(ec *event.EventContextV1) { ec.Type = "\n" }, wantAttr: "type"},
		{name: "empty source", mutate: func(ec *event.EventContextV1) { ec.Source = types.URIRef{} }, wantAttr: "source"},
		{name: "blank opaque source", mutate: func(ec *event.EventContextV1) { ec.Source = types.URIRef{URL: url.URL{Opaque: " "}} }, wantAttr: "source"},
		{name: "blank subject", mutate: func(ec *event.EventContextV1) { ec.Subject = &tab }, wantAttr: "subject"},
		{name: "blank datacontenttype", mutate: func(ec *event.EventContextV1) { ec.DataContentType = &blank }, wantAttr: "datacontenttype"},
		{name: "media type without subtype token", mutate: func(ec *event.EventContextV1) { s := "text/"; ec.DataContentType = &s }, wantAttr: "datacontenttype"},
		{name: "bad media type parameter", mutate: func(ec *event.EventContextV1) { s := "text/plain; =x"; ec.DataContentType = &s }, wantAttr: "datacontenttype"},
		{name: "relative dataschema", mutate: func(ec *event.EventContextV1) { ec.DataSchema = &types.URI{URL: url.URL{Path: "/x"}} }, wantAttr: "dataschema"},
		{name: "query-only source is valid", mutate: func(ec *event.EventContextV1) { ec.Source = types.URIRef{URL: url.URL{RawQuery: "a=b"}} }},
		{name: "media type with parameters is valid", mutate: func(ec *event.EventContextV1) { s := "text/plain; charset=utf-8"; ec.DataContentType = &s }},
		{name: "media type without subtype is valid for sdk-go", mutate: func(ec *event.EventContextV1) { s := "text"; ec.DataContentType = &s }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := codecNewEvent(t, "1", "/s", "t")
			ec := e.Context.(*event.EventContextV1)
			tt.mutate(ec)
			sdkErr := e.Validate()
			if validFast(&e, ec) && sdkErr != nil {
				t.Fatalf("validFast accepts what event.Validate rejects: %v", sdkErr)
			}
			_, _, err := checkEvent(&e)
			if (sdkErr == nil) != (err == nil) {
				t.Fatalf("checkEvent = %v, event.Validate = %v", err, sdkErr)
			}
			if tt.wantAttr != "" {
				var ae *AttributeError
				if !errors.As(err, &ae) || ae.Attribute != tt.wantAttr {
					t.Fatalf("checkEvent = %v, want an error naming %q", err, tt.wantAttr)
				}
			}
		})
	}
}
