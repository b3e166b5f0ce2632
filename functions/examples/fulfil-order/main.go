// Command fulfil-order is an example fnmesh function written with the Go
// SDK: it receives com.example.order.created events and answers each with
// a com.example.order.fulfilled event.
//
// The input's data is an order:
//
//	{"orderId": "A-1001", "customer": "ada@example.com",
//	 "items": [{"sku": "book-42", "quantity": 2, "priceCents": 1250}]}
//
// The follow-up's data sums it up (subject: the order id):
//
//	{"orderId": "A-1001", "customer": "ada@example.com",
//	 "itemCount": 2, "totalCents": 2500, "shipment": "ship-A-1001"}
//
// An order that cannot be decoded, or has no items, is dead-lettered at
// once (a permanent error): retrying would not fix it.
//
// Run it as part of the example mesh (functions/examples/mesh.yaml), where
// fnmesh starts its replicas, or by hand against a running mesh:
//
//	FNMESH_FILE=functions/examples/mesh.yaml FNMESH_FUNCTION=fulfil-order \
//	NATS_URL=nats://127.0.0.1:4222 go run ./functions/examples/fulfil-order
//
// then post an order:
//
//	curl -X POST localhost:8080/orders -H 'Content-Type: application/json' \
//	  -d '{"orderId":"A-1001","customer":"ada@example.com","items":[{"sku":"book-42","quantity":2,"priceCents":1250}]}'
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/functions"
)

// order is the data of com.example.order.created.
type order struct {
	OrderID  string `json:"orderId"`
	Customer string `json:"customer"`
	Items    []struct {
		SKU        string `json:"sku"`
		Quantity   int    `json:"quantity"`
		PriceCents int64  `json:"priceCents"`
	} `json:"items"`
}

// fulfilment is the data of com.example.order.fulfilled.
type fulfilment struct {
	OrderID    string `json:"orderId"`
	Customer   string `json:"customer,omitempty"`
	ItemCount  int    `json:"itemCount"`
	TotalCents int64  `json:"totalCents"`
	Shipment   string `json:"shipment"`
}

// fulfil handles one order.
func fulfil(_ context.Context, e event.Event) ([]event.Event, error) {
	var o order
	if err := e.DataAs(&o); err != nil {
		return nil, functions.Permanent(fmt.Errorf("order data: %w", err))
	}
	if o.OrderID == "" {
		return nil, functions.Permanent(errors.New("order data: orderId is required"))
	}
	if len(o.Items) == 0 {
		return nil, functions.Permanent(fmt.Errorf("order %s: items must not be empty", o.OrderID))
	}
	f := fulfilment{OrderID: o.OrderID, Customer: o.Customer, Shipment: "ship-" + o.OrderID}
	for i, it := range o.Items {
		if it.Quantity <= 0 {
			return nil, functions.Permanent(fmt.Errorf("order %s: items[%d].quantity must be positive", o.OrderID, i))
		}
		f.ItemCount += it.Quantity
		f.TotalCents += int64(it.Quantity) * it.PriceCents
	}

	out := event.New()
	out.SetType("com.example.order.fulfilled")
	out.SetSubject(o.OrderID)
	if err := out.SetData(event.ApplicationJSON, f); err != nil {
		return nil, err
	}
	// id, source, time and the causation chain are filled in by the worker.
	return []event.Event{out}, nil
}

func main() {
	log, err := functions.Logger()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fulfil-order:", err)
		os.Exit(1)
	}
	functions.ServeMain(functions.Chain(functions.HandlerFunc(fulfil),
		functions.Recover(),
		functions.Logging(log),
	), functions.WithLogger(log))
}
