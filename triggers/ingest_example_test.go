package triggers_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/triggers"
)

// A binary-mode request: attributes in ce- headers (percent-encoded where
// needed), datacontenttype in Content-Type, data in the body.
func ExampleParseRequest() {
	r := httptest.NewRequest(http.MethodPost, "/events", strings.NewReader(`{"sku":"A-1"}`))
	r.Header.Set("Ce-Specversion", "1.0")
	r.Header.Set("Ce-Id", "order-42")
	r.Header.Set("Ce-Source", "/shop/api")
	r.Header.Set("Ce-Type", "com.example.order.created")
	r.Header.Set("Ce-Customer", "J%C3%BCrgen%20M")
	r.Header.Set("Content-Type", "application/json")

	events, err := triggers.ParseRequest(r, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	e := events[0]
	fmt.Println(e.ID(), e.Source(), e.Type(), e.DataContentType())
	fmt.Println(e.Extensions()["customer"], string(e.Data()))
	// Output:
	// order-42 /shop/api com.example.order.created application/json
	// Jürgen M {"sku":"A-1"}
}

// Errors name the attribute and the rule it breaks.
func ExampleParseRequest_invalid() {
	r := httptest.NewRequest(http.MethodPost, "/events", strings.NewReader(
		`{"specversion":"0.3","id":"1","source":"/s","type":"t"}`))
	r.Header.Set("Content-Type", "application/cloudevents+json")

	_, err := triggers.ParseRequest(r, 0)
	var ae *triggers.AttrError
	if errors.As(err, &ae) {
		fmt.Println(errors.Is(err, triggers.ErrBadEvent), ae.Attribute, ae.Rule)
	}
	// Output:
	// true specversion must be "1.0"
}

// POST /events on an embedded broker: 202 once the event is stored.
func ExampleNewIngest() {
	dir, err := os.MkdirTemp("", "fnmesh-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	srv, err := embedded.Start(embedded.Config{DataDir: dir}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown(context.Background())
	nc, err := srv.Connect("example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()
	pub, err := broker.New(nc, broker.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	mesh := &config.Mesh{Streams: []config.Stream{{Name: "EVENTS", Subjects: []string{"events.>"}}}}
	if err := pub.EnsureStreams(context.Background(), meshmap.Streams(mesh)...); err != nil {
		fmt.Println(err)
		return
	}

	ingest, err := triggers.NewIngest(triggers.IngestConfig{}, pub)
	if err != nil {
		fmt.Println(err)
		return
	}
	hs := httptest.NewServer(ingest)
	defer hs.Close()

	body := `{"specversion":"1.0","id":"order-42","source":"/shop/api","type":"com.example.order.created","data":{"sku":"A-1"}}`
	for range 2 {
		resp, err := http.Post(hs.URL+"/events", "application/cloudevents+json", strings.NewReader(body))
		if err != nil {
			fmt.Println(err)
			return
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Print(resp.StatusCode, " ", string(answer))
	}
	// Output:
	// 202 {"id":"order-42","stream":"EVENTS","seq":1,"duplicate":false}
	// 202 {"id":"order-42","stream":"EVENTS","seq":1,"duplicate":true}
}
