package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// KVConfig declares a JetStream key-value bucket.
type KVConfig struct {
	// Bucket is the bucket name (letters, digits, '-' and '_').
	Bucket string
	// Description says what the bucket holds.
	Description string
	// TTL is how long a key is kept after its last write (0 = forever).
	TTL time.Duration
	// Replicas is the number of copies on a NATS cluster. Default 1.
	Replicas int
	// Memory keeps the bucket in memory instead of on disk.
	Memory bool
}

// KeyValue creates the bucket described by cfg, or updates an existing one
// to match it, and returns a handle to it. Only the key-value bucket is
// handed out, never the JetStream context.
func (c *Client) KeyValue(ctx context.Context, cfg KVConfig) (jetstream.KeyValue, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("broker: key-value bucket: name is required")
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	kc := jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket,
		Description: cfg.Description,
		TTL:         cfg.TTL,
		History:     1,
		Replicas:    max(cfg.Replicas, 1),
		Storage:     jetstream.FileStorage,
	}
	if cfg.Memory {
		kc.Storage = jetstream.MemoryStorage
	}
	kv, err := c.js.CreateOrUpdateKeyValue(ctx, kc)
	if err != nil {
		if !c.nc.IsConnected() || errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("broker: key-value bucket %s: %w: %w", cfg.Bucket, ErrUnavailable, err)
		}
		return nil, fmt.Errorf("broker: key-value bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}
