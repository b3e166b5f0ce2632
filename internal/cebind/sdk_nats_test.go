package cebind

import (
	"context"
	"errors"
	"testing"
	"time"

	njs "github.com/cloudevents/sdk-go/protocol/nats_jetstream/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// sdkEvent is an event whose values a percent-encoding binding would
// change: spaces, quotes, a literal "%41", non-ASCII, and text/plain data.
func sdkEvent(t testing.TB, id string) event.Event {
	t.Helper()
	return codecNewEvent(t, id, "/shop/a b", "com.example.sdk", func(e *event.Event) error {
		e.SetSubject(`%41 "quoted" ünï`)
		e.SetExtension("note", "100% sure, %zz")
		return e.SetData("text/plain", "héllo 50%")
	})
}

// TestSDKJetStreamReadsStream stores events with EncodeMsg in the stream of
// a real server and reads them with sdk-go's NATS JetStream binding: the
// same attributes, extensions and data, and text/plain data decodes.
func TestSDKJetStreamReadsStream(t *testing.T) {
	nc := codecServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}}); err != nil {
		t.Fatal(err)
	}
	consumer, err := njs.NewConsumerFromConn(nc, "EVENTS", "events.>", nil, nil)
	if err != nil {
		t.Fatalf("sdk-go consumer: %v", err)
	}
	go func() { _ = consumer.OpenInbound(ctx) }()
	defer consumer.Close(context.Background())

	want := sdkEvent(t, "fn-1")
	msg, err := EncodeMsg(Subject("events", want.Type()), &want)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		t.Fatalf("publish: %v", err)
	}
	m, err := consumer.Receive(ctx)
	if err != nil {
		t.Fatalf("sdk-go receive: %v", err)
	}
	got, err := binding.ToEvent(ctx, m)
	if err != nil {
		t.Fatalf("sdk-go ToEvent: %v", err)
	}
	codecAssertSameEvent(t, got, &want)
	var text string
	if err := got.DataAs(&text); err != nil || text != "héllo 50%" {
		t.Fatalf("sdk-go DataAs = %q, %v; want the text", text, err)
	}
}

// TestDecodeSDKJetStreamSender sends events with sdk-go's NATS JetStream
// sender into the stream of a real server and decodes what the stream
// holds with DecodeMsg: "%41" stays "%41".
func TestDecodeSDKJetStreamSender(t *testing.T) {
	nc := codecServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}})
	if err != nil {
		t.Fatal(err)
	}
	sender, err := njs.NewSenderFromConn(nc, "EVENTS", "events.com.example.sdk", nil)
	if err != nil {
		t.Fatalf("sdk-go sender: %v", err)
	}
	want := sdkEvent(t, "sdk-1")
	if err := sender.Send(ctx, binding.ToMessage(&want)); err != nil {
		t.Fatalf("sdk-go send: %v", err)
	}
	raw, err := stream.GetMsg(ctx, 1)
	if err != nil {
		t.Fatalf("get stored message: %v", err)
	}
	got, err := DecodeMsg(raw.Header, raw.Data)
	if err != nil {
		t.Fatalf("DecodeMsg: %v", err)
	}
	codecAssertSameEvent(t, got, &want)
	if got.Subject() != `%41 "quoted" ünï` {
		t.Fatalf("subject %q", got.Subject())
	}
}

// TestEncodeMsgRefusesWhatNATSCannotCarry: CR, LF and white space at
// either end of a value would not arrive as sent; EncodeMsg names the
// attribute instead of storing something else, and DecodeMsg refuses the
// same values.
func TestEncodeMsgRefusesWhatNATSCannotCarry(t *testing.T) {
	for _, tt := range []struct {
		name, attr string
		mutate     func(ec *event.EventContextV1)
	}{
		{name: "LF in id", attr: "id", mutate: func(ec *event.EventContextV1) { ec.ID = "a\nb" }},
		{name: "CR in type", attr: "type", mutate: func(ec *event.EventContextV1) { ec.Type = "a\rb" }},
		{name: "leading space in type", attr: "type", mutate: func(ec *event.EventContextV1) { ec.Type = " chaos.test" }},
		{name: "trailing tab in subject", attr: "subject", mutate: func(ec *event.EventContextV1) { s := "s\t"; ec.Subject = &s }},
		{name: "CRLF in extension", attr: "note", mutate: func(ec *event.EventContextV1) { ec.Extensions = map[string]any{"note": "a\r\nX-Injected: 1"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := codecNewEvent(t, "1", "/s", "t")
			tt.mutate(e.Context.(*event.EventContextV1))
			_, err := EncodeMsg("events.t", &e)
			var ae *AttributeError
			if !errors.As(err, &ae) || ae.Attribute != tt.attr || !errors.Is(err, ErrMalformedEvent) {
				t.Fatalf("EncodeMsg = %v, want an AttributeError naming %s", err, tt.attr)
			}
		})
	}
	h := nats.Header{"ce-specversion": {"1.0"}, "ce-id": {"1"}, "ce-source": {"/s"}, "ce-type": {"t"}, "ce-subject": {" s"}}
	var ae *AttributeError
	if _, err := DecodeMsg(h, nil); !errors.As(err, &ae) || ae.Attribute != "subject" {
		t.Fatalf("DecodeMsg of a value with a leading space = %v, want an AttributeError naming subject", err)
	}
}
