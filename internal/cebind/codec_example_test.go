package cebind_test

import (
	"errors"
	"fmt"
	"slices"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/internal/cebind"
)

func ExampleEncodeMsg() {
	e := event.New()
	e.SetID("42")
	e.SetSource("/shop/api")
	e.SetType("com.example.order.created")
	e.SetExtension("tenant", "acme corp")
	_ = e.SetData(event.ApplicationJSON, map[string]int{"qty": 2})

	msg, err := cebind.EncodeMsg(cebind.Subject("events", e.Type()), &e)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("subject:", msg.Subject)
	keys := make([]string, 0, len(msg.Header))
	for k := range msg.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Printf("%s: %s\n", k, msg.Header.Get(k))
	}
	fmt.Println(string(msg.Data))
	// Output:
	// subject: events.com.example.order.created
	// Fnmesh-Codec: 2
	// Nats-Msg-Id: 98f405d02135848c2ae3363b6daecbe0bfdf1446067bd32ba3c6dd62a657c30c
	// ce-id: 42
	// ce-source: /shop/api
	// ce-specversion: 1.0
	// ce-tenant: acme corp
	// ce-type: com.example.order.created
	// content-type: application/json
	// {"qty":2}
}

func ExampleDecodeMsg() {
	h := nats.Header{
		"ce-specversion": {"1.0"},
		"ce-id":          {"42"},
		"ce-source":      {"/shop/api"},
		"ce-type":        {"com.example.order.created"},
		"ce-subject":     {"100%41 raw"},
		"content-type":   {"application/json"},
	}
	e, err := cebind.DecodeMsg(h, []byte(`{"qty":2}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.ID(), e.Source(), e.Type(), e.Subject(), e.DataContentType(), string(e.Data()))

	// A message of an fnmesh before Fnmesh-Codec (a Nats-Msg-Id, no
	// Fnmesh-Codec) was percent-encoded, and is read as it was written.
	h.Set("Nats-Msg-Id", "98f405d0")
	h.Set("ce-subject", "order%2042")
	old, _ := cebind.DecodeMsg(h, nil)
	fmt.Println(old.Subject())

	// A message without the required attributes names what is missing.
	_, err = cebind.DecodeMsg(nats.Header{"ce-specversion": {"1.0"}, "ce-source": {"/s"}, "ce-type": {"t"}}, nil)
	var ae *cebind.AttributeError
	fmt.Println(errors.Is(err, cebind.ErrMalformedEvent), errors.As(err, &ae) && ae.Attribute == "id")
	// Output:
	// 42 /shop/api com.example.order.created 100%41 raw application/json {"qty":2}
	// order 42
	// true true
}

func ExampleEscapeType() {
	for _, t := range []string{"com.example.order.created", "com.example.50%.off", "a..b", "café.*"} {
		fmt.Println(cebind.EscapeType(t))
	}
	// Output:
	// com.example.order.created
	// com.example.50%25.off
	// a.%.b
	// caf%C3%A9.%2A
}

func ExampleTypeFromSubject() {
	subject := cebind.Subject("events", "com.example.order created")
	fmt.Println(subject)
	t, err := cebind.TypeFromSubject("events", subject)
	fmt.Printf("%q %v\n", t, err)

	_, err = cebind.TypeFromSubject("events", "other.x")
	fmt.Println(errors.Is(err, cebind.ErrInvalidSubject))
	// Output:
	// events.com.example.order%20created
	// "com.example.order created" <nil>
	// true
}

func ExampleDedupID() {
	fmt.Println(cebind.DedupID("/shop/api", "42") == cebind.DedupID("/shop/api", "42"))
	fmt.Println(cebind.DedupID("a", "bc") == cebind.DedupID("ab", "c"))
	fmt.Println(len(cebind.DedupID("/shop/api", "42")))
	// Output:
	// true
	// false
	// 64
}
