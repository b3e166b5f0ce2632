package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/functions"
)

func TestFulfil(t *testing.T) {
	tests := []struct {
		name      string
		data      string
		want      *fulfilment
		permanent string
	}{
		{name: "order", data: `{"orderId":"A-1001","customer":"ada@example.com","items":[{"sku":"book-42","quantity":2,"priceCents":1250},{"sku":"pen","quantity":1,"priceCents":199}]}`,
			want: &fulfilment{OrderID: "A-1001", Customer: "ada@example.com", ItemCount: 3, TotalCents: 2699, Shipment: "ship-A-1001"}},
		{name: "not JSON", data: `order please`, permanent: "order data"},
		{name: "no id", data: `{"items":[{"sku":"x","quantity":1}]}`, permanent: "orderId is required"},
		{name: "no items", data: `{"orderId":"A-1"}`, permanent: "items must not be empty"},
		{name: "zero quantity", data: `{"orderId":"A-1","items":[{"sku":"x","quantity":0}]}`, permanent: "items[0].quantity must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := event.New()
			in.SetID("1")
			in.SetSource("/shop/api")
			in.SetType("com.example.order.created")
			in.SetDataContentType(event.ApplicationJSON)
			in.DataEncoded = []byte(tt.data)
			out, err := fulfil(context.Background(), in)
			if tt.permanent != "" {
				if !functions.IsPermanent(err) || !strings.Contains(err.Error(), tt.permanent) {
					t.Fatalf("err = %v, want a permanent error about %q", err, tt.permanent)
				}
				return
			}
			if err != nil || len(out) != 1 {
				t.Fatalf("fulfil = %v, %v; want one event", out, err)
			}
			if out[0].Type() != "com.example.order.fulfilled" || out[0].Subject() != tt.want.OrderID {
				t.Errorf("type %q subject %q", out[0].Type(), out[0].Subject())
			}
			var got fulfilment
			if err := json.Unmarshal(out[0].Data(), &got); err != nil {
				t.Fatal(err)
			}
			if got != *tt.want {
				t.Errorf("data = %+v, want %+v", got, *tt.want)
			}
		})
	}
}
