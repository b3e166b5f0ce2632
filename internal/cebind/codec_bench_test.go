package cebind

import (
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// codecBenchEvent is a typical event: required attributes, subject, time,
// JSON data of a few hundred bytes and two extensions.
func codecBenchEvent(b *testing.B) *event.Event {
	e := codecNewEvent(b, "2f0e1c5a-6a8e-4f57-9d7b-0d1f3c2e4b6a", "/shop/api", "com.example.order.created",
		func(e *event.Event) error {
			e.SetSubject("order/42")
			e.SetTime(time.Date(2024, 2, 29, 13, 14, 15, 123456789, time.UTC))
			e.SetExtension("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			e.SetExtension("tenant", "acme")
			return e.SetData(event.ApplicationJSON, map[string]any{
				"id": 42, "customer": "c-1001", "items": []string{"sku-1", "sku-2", "sku-3"}, "total": "129.90",
			})
		})
	return &e
}

func BenchmarkEncodeMsg(b *testing.B) {
	e := codecBenchEvent(b)
	subject := Subject("events", e.Type())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeMsg(subject, e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeMsg(b *testing.B) {
	msg, err := EncodeMsg("events.com.example.order.created", codecBenchEvent(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeMsg(msg.Header, msg.Data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeMsgStructured(b *testing.B) {
	body, err := codecBenchEvent(b).MarshalJSON()
	if err != nil {
		b.Fatal(err)
	}
	h := map[string][]string{hdrContentType: {structuredJSONType}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeMsg(h, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSubject(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Subject("events", "com.example.order.created")
	}
}
