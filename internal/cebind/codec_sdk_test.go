package cebind

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/binding/spec"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go"
)

// codecSDKWriter is a binding.BinaryWriter that writes a NATS message the
// way a plain CloudEvents NATS binding does with sdk-go's binding machinery:
// "ce-<name>" headers holding types.Format of each value, no
// percent-encoding, datacontenttype as "content-type".
type codecSDKWriter struct {
	h    nats.Header
	data []byte
}

var _ binding.BinaryWriter = (*codecSDKWriter)(nil)

func (w *codecSDKWriter) Start(context.Context) error { w.h = nats.Header{}; return nil }
func (w *codecSDKWriter) End(context.Context) error   { return nil }

func (w *codecSDKWriter) SetAttribute(a spec.Attribute, value any) error {
	s, err := types.Format(value)
	if err != nil {
		return err
	}
	if a.Kind() == spec.DataContentType {
		w.h["content-type"] = []string{s}
		return nil
	}
	w.h["ce-"+a.Name()] = []string{s}
	return nil
}

func (w *codecSDKWriter) SetExtension(name string, value any) error {
	s, err := types.Format(value)
	if err != nil {
		return err
	}
	w.h["ce-"+name] = []string{s}
	return nil
}

func (w *codecSDKWriter) SetData(r io.Reader) (err error) {
	w.data, err = io.ReadAll(r)
	return err
}

// codecSDKReader is a binding.Message over a NATS message in binary mode,
// read with sdk-go's attribute table and the standard library's
// percent-decoding: an independent reader for what EncodeMsg writes.
type codecSDKReader struct{ msg *nats.Msg }

var (
	_ binding.Message               = codecSDKReader{}
	_ binding.MessageMetadataReader = codecSDKReader{}
)

// GetAttribute implements binding.MessageMetadataReader.
func (r codecSDKReader) GetAttribute(k spec.Kind) (spec.Attribute, any) {
	sv := spec.WithPrefix("ce-").Version(r.msg.Header.Get("ce-specversion"))
	if sv == nil {
		return nil, nil
	}
	a := sv.AttributeFromKind(k)
	if a == nil {
		return nil, nil
	}
	key := a.PrefixedName()
	if k == spec.DataContentType {
		key = "Content-Type"
	}
	vs, ok := r.msg.Header[key]
	if !ok {
		return a, nil
	}
	v, err := url.PathUnescape(vs[0])
	if err != nil || k == spec.DataContentType {
		return a, vs[0]
	}
	return a, v
}

// GetExtension implements binding.MessageMetadataReader.
func (r codecSDKReader) GetExtension(name string) any {
	vs, ok := r.msg.Header["ce-"+name]
	if !ok {
		return nil
	}
	v, err := url.PathUnescape(vs[0])
	if err != nil {
		return vs[0]
	}
	return v
}

func (codecSDKReader) ReadEncoding() binding.Encoding { return binding.EncodingBinary }
func (codecSDKReader) Finish(error) error             { return nil }

func (codecSDKReader) ReadStructured(context.Context, binding.StructuredWriter) error {
	return binding.ErrNotStructured
}

func (r codecSDKReader) ReadBinary(_ context.Context, w binding.BinaryWriter) error {
	versions := spec.WithPrefix("ce-")
	sv := versions.Version(r.msg.Header.Get("ce-specversion"))
	if sv == nil {
		return binding.ErrUnknownEncoding
	}
	for k, vs := range r.msg.Header {
		if k == "Content-Type" {
			if err := w.SetAttribute(sv.AttributeFromKind(spec.DataContentType), vs[0]); err != nil {
				return err
			}
			continue
		}
		if !strings.HasPrefix(k, "ce-") {
			continue
		}
		v, err := url.PathUnescape(vs[0])
		if err != nil {
			return err
		}
		if a := sv.Attribute(k); a != nil {
			err = w.SetAttribute(a, v)
		} else {
			err = w.SetExtension(strings.TrimPrefix(k, "ce-"), v)
		}
		if err != nil {
			return err
		}
	}
	if len(r.msg.Data) > 0 {
		return w.SetData(bytes.NewReader(r.msg.Data))
	}
	return nil
}

// codecHasPercent reports whether any attribute of e contains '%': a writer
// that does not percent-encode cannot carry those unambiguously.
func codecHasPercent(t testing.TB, e *event.Event) bool {
	for _, v := range codecAttrs(t, e) {
		if strings.Contains(v, "%") {
			return true
		}
	}
	return false
}

// TestDecodeSDKBinaryMessages writes each event with sdk-go's binding.Write
// into a plain NATS binary-mode writer and decodes it with DecodeMsg.
func TestDecodeSDKBinaryMessages(t *testing.T) {
	ran := 0
	for _, tc := range codecEvents(t) {
		e := tc.event
		if codecHasPercent(t, &e) {
			continue
		}
		ran++
		t.Run(tc.name, func(t *testing.T) {
			w := &codecSDKWriter{}
			if _, err := binding.Write(context.Background(), binding.ToMessage(&e), nil, w); err != nil {
				t.Fatalf("binding.Write: %v", err)
			}
			got, err := DecodeMsg(w.h, w.data)
			if err != nil {
				t.Fatalf("DecodeMsg: %v", err)
			}
			codecAssertSameEvent(t, got, &e)
		})
	}
	if ran < 5 {
		t.Fatalf("only %d events could be written without percent-encoding", ran)
	}
}

// TestSDKReadsEncodedMessages reads what EncodeMsg writes with sdk-go's
// binding.ToEvent over an independent reader and compares with the
// original event.
func TestSDKReadsEncodedMessages(t *testing.T) {
	for _, tc := range codecEvents(t) {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.event
			msg, err := EncodeMsg("events.x", &e)
			if err != nil {
				t.Fatalf("EncodeMsg: %v", err)
			}
			got, err := binding.ToEvent(context.Background(), codecSDKReader{msg: msg})
			if err != nil {
				t.Fatalf("binding.ToEvent: %v", err)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("sdk-go decoded an invalid event: %v", err)
			}
			codecAssertSameEvent(t, got, &e)
		})
	}
}

// TestHeadersMatchSDKHTTPBinary compares the headers EncodeMsg writes with
// sdk-go's HTTP binary-mode encoding of the same event: same attributes,
// same canonical string values once percent-decoded.
func TestHeadersMatchSDKHTTPBinary(t *testing.T) {
	for _, tc := range codecEvents(t) {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.event
			req, err := http.NewRequest(http.MethodPost, "http://localhost/", nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := cehttp.WriteRequest(context.Background(), binding.ToMessage(&e), req); err != nil {
				t.Fatalf("cehttp.WriteRequest: %v", err)
			}
			want := map[string]string{}
			for k, vs := range req.Header {
				if lk := strings.ToLower(k); strings.HasPrefix(lk, "ce-") || lk == "content-type" {
					want[lk] = vs[0]
				}
			}
			msg, err := EncodeMsg("events.x", &e)
			if err != nil {
				t.Fatalf("EncodeMsg: %v", err)
			}
			got := map[string]string{}
			for k, vs := range msg.Header {
				if k == hdrMsgID {
					continue
				}
				v := vs[0]
				if strings.HasPrefix(k, "ce-") {
					if v, err = url.PathUnescape(v); err != nil {
						t.Fatalf("header %s: %v", k, err)
					}
				}
				got[strings.ToLower(k)] = v
			}
			if len(got) != len(want) {
				t.Fatalf("headers\n got %q\nwant %q", got, want)
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("header %s = %q, sdk-go HTTP binary has %q", k, got[k], w)
				}
			}
			var body []byte
			if req.Body != nil {
				body, _ = io.ReadAll(req.Body)
			}
			if !bytes.Equal(body, msg.Data) {
				t.Errorf("payload = %q, sdk-go HTTP body = %q", msg.Data, body)
			}
		})
	}
}
