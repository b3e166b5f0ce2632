package cebind

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	njs "github.com/cloudevents/sdk-go/protocol/nats_jetstream/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go"
)

// codecSDKWrite writes e as sdk-go's NATS JetStream binding does
// (nats_jetstream.WriteMsg): "ce-" headers with raw values,
// ce-datacontenttype, data as the payload.
func codecSDKWrite(t testing.TB, e *event.Event) (nats.Header, []byte) {
	t.Helper()
	var buf bytes.Buffer
	h, err := njs.WriteMsg(context.Background(), binding.ToMessage(e), &buf)
	if err != nil {
		t.Fatalf("nats_jetstream.WriteMsg: %v", err)
	}
	return h, buf.Bytes()
}

// codecSDKWritable reports whether sdk-go's NATS writer can carry every
// attribute of e: it writes extensions with fmt.Sprint, so binary values
// come out as Go slices, not base64.
func codecSDKWritable(e *event.Event) bool {
	for _, v := range e.Extensions() {
		if _, ok := v.([]byte); ok {
			return false
		}
	}
	return true
}

// TestDecodeSDKBinaryMessages writes each event with sdk-go's NATS
// JetStream binding and decodes it with DecodeMsg: the same event, "%"
// included.
func TestDecodeSDKBinaryMessages(t *testing.T) {
	ran := 0
	for _, tc := range codecEvents(t) {
		e := tc.event
		if !codecSDKWritable(&e) {
			continue
		}
		ran++
		t.Run(tc.name, func(t *testing.T) {
			h, data := codecSDKWrite(t, &e)
			got, err := DecodeMsg(h, data)
			if err != nil {
				t.Fatalf("DecodeMsg: %v", err)
			}
			codecAssertSameEvent(t, got, &e)
		})
	}
	if ran < 8 {
		t.Fatalf("only %d events could be written by sdk-go", ran)
	}
}

// TestSDKReadsEncodedMessages reads what EncodeMsg writes with sdk-go's NATS
// JetStream binding (nats_jetstream.NewMessage, binding.ToEvent) and
// compares with the original event: every attribute, extension and the
// data, exactly.
func TestSDKReadsEncodedMessages(t *testing.T) {
	for _, tc := range codecEvents(t) {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.event
			msg, err := EncodeMsg("events.x", &e)
			if err != nil {
				t.Fatalf("EncodeMsg: %v", err)
			}
			got, err := binding.ToEvent(context.Background(), njs.NewMessage(msg))
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

// TestHeadersMatchSDKNATSBinary compares the headers EncodeMsg writes with
// sdk-go's NATS JetStream binding's encoding of the same event: the same
// attributes with the same values, raw. sdk-go names datacontenttype
// "ce-datacontenttype" (its reader takes that or "content-type", fnmesh
// writes the binding's "content-type") and writes time in the event's
// zone (fnmesh: UTC).
func TestHeadersMatchSDKNATSBinary(t *testing.T) {
	for _, tc := range codecEvents(t) {
		e := tc.event
		if !codecSDKWritable(&e) {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			sh, sdata := codecSDKWrite(t, &e)
			want := map[string]string{}
			for k, vs := range sh {
				if k == "ce-datacontenttype" {
					k = hdrContentType
				}
				want[k] = vs[0]
			}
			msg, err := EncodeMsg("events.x", &e)
			if err != nil {
				t.Fatalf("EncodeMsg: %v", err)
			}
			got := map[string]string{}
			for k, vs := range msg.Header {
				if k != hdrMsgID && k != hdrCodec {
					got[k] = vs[0]
				}
			}
			for _, m := range []map[string]string{got, want} {
				for k, v := range m {
					if k == hdrTime || strings.HasSuffix(k, "timeext") {
						if ts, err := types.ParseTime(v); err == nil {
							m[k] = ts.UTC().Format(time.RFC3339Nano)
						}
					}
				}
			}
			if len(got) != len(want) {
				t.Fatalf("headers\n got %q\nwant %q", got, want)
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("header %s = %q, sdk-go NATS binary has %q", k, got[k], w)
				}
			}
			if !bytes.Equal(sdata, msg.Data) {
				t.Errorf("payload = %q, sdk-go = %q", msg.Data, sdata)
			}
		})
	}
}
