package cebind_test

import (
	"fmt"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/internal/cebind"
)

func ExampleWriteBinary() {
	e := event.New()
	e.SetID("42")
	e.SetSource("/shop/api")
	e.SetType("com.example.order.created")
	e.SetExtension("tenant", "acme corp")
	_ = e.SetData("text/plain", []byte("hello"))

	h := http.Header{}
	body, err := cebind.WriteBinary(h, &e)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(h.Get("Ce-Tenant"), h.Get("Content-Type"), string(body))
	// Output: acme%20corp text/plain hello
}

func ExampleReadBinary() {
	h := http.Header{
		"Ce-Specversion": {"1.0"},
		"Ce-Id":          {"42"},
		"Ce-Source":      {"/shop/api"},
		"Ce-Type":        {"com.example.order.created"},
		"Ce-Tenant":      {"acme%20corp"},
		"Content-Type":   {"text/plain"},
	}
	e, err := cebind.ReadBinary(h, []byte("hello"), cebind.Strict)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.ID(), e.Extensions()["tenant"], e.DataContentType(), string(e.Data()))

	h.Set("Ce-My-Ext", "x")
	_, err = cebind.ReadBinary(h, nil, cebind.Strict)
	fmt.Println(err)
	// Output:
	// 42 acme corp text/plain hello
	// malformed event: attribute "my-ext": name must contain only lowercase letters a-z and digits 0-9
}

func ExampleParseJSON() {
	e, err := cebind.ParseJSON([]byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t","n":7,"data":{"a":1}}`), cebind.Strict)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %T %s %s\n", e.ID(), e.Extensions()["n"], e.DataContentType(), e.Data())

	_, err = cebind.ParseJSON([]byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t","n":1.5}`), cebind.Strict)
	fmt.Println(err)
	// Output:
	// 1 int32 application/json {"a":1}
	// malformed event: attribute "n": must be an integer from -2147483648 to 2147483647
}
