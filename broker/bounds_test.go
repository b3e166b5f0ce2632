package broker_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
	"github.com/fnmesh/fnmesh/internal/cebind"
)

// TestPublishRefusesOverBounds: an event whose subject or headers the
// server would refuse, or whose subject would break the connection, is
// refused before it is sent, with an error naming the attribute that
// wraps ErrMalformedEvent (the triggers answer 400); the connection stays
// up and the next event is stored.
func TestPublishRefusesOverBounds(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tt := range []struct {
		name, attr string
	}{
		{name: "type of 4050 bytes", attr: "type"},
		{name: "type of 70000 bytes", attr: "type"},
		{name: "id of 100 KB", attr: "id"},
		{name: "extension of 100 KB", attr: "big"},
		{name: "10000 extensions", attr: "extensions"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEvent("over")
			switch tt.name {
			case "type of 4050 bytes":
				e.SetType(strings.Repeat("t", 4050))
			case "type of 70000 bytes":
				e.SetType(strings.Repeat("t", 70000))
			case "id of 100 KB":
				e.SetID(strings.Repeat("i", 100<<10))
			case "extension of 100 KB":
				e.SetExtension("big", strings.Repeat("b", 100<<10))
			case "10000 extensions":
				for i := range 10000 {
					e.SetExtension("x"+strconv.Itoa(i), "v")
				}
			}
			_, err := c.Publish(ctx, e)
			var ae *broker.AttributeError
			if !errors.Is(err, broker.ErrMalformedEvent) || !errors.Is(err, cebind.ErrOverLimit) || !errors.As(err, &ae) || ae.Attribute != tt.attr {
				t.Fatalf("Publish = %v, want an AttributeError naming %s over the limit", err, tt.attr)
			}
		})
	}
	if !c.Connected() {
		t.Fatal("connection lost")
	}
	if _, err := c.Publish(ctx, newEvent("after")); err != nil {
		t.Fatalf("publish after the refused events: %v", err)
	}
}
