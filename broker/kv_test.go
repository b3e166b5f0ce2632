package broker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/brokertest"
)

func TestKeyValue(t *testing.T) {
	srv := brokertest.Server(t, "")
	c := brokertest.Client(t, srv)
	ctx := context.Background()

	if _, err := c.KeyValue(ctx, broker.KVConfig{}); err == nil {
		t.Fatal("bucket without a name accepted")
	}
	kv, err := c.KeyValue(ctx, broker.KVConfig{Bucket: "ids", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(ctx, "a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(ctx, "a", []byte("2")); !errors.Is(err, jetstream.ErrKeyExists) {
		t.Fatalf("second Create: %v, want ErrKeyExists", err)
	}
	// A second process opening the same bucket sees the same keys, and a
	// changed TTL updates the bucket.
	other, err := brokertest.Client(t, srv).KeyValue(ctx, broker.KVConfig{Bucket: "ids", TTL: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	entry, err := other.Get(ctx, "a")
	if err != nil || string(entry.Value()) != "1" {
		t.Fatalf("Get from another connection: %v %v", entry, err)
	}
	st, err := other.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.TTL() != 2*time.Hour {
		t.Errorf("TTL %s, want 2h", st.TTL())
	}
}
