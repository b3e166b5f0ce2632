package triggers

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// CronBucket is the JetStream key-value bucket that remembers, per cron
// trigger (key = trigger name), the last tick whose event was stored.
const CronBucket = "fnmesh_cron"

// KeyValue is the part of a JetStream key-value bucket the triggers use
// (jetstream.KeyValue satisfies it; broker.Client.KeyValue opens one).
type KeyValue interface {
	// Get returns the latest entry of key, or an error wrapping
	// jetstream.ErrKeyNotFound.
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	// Create stores key only if it does not exist (or was deleted);
	// otherwise the error wraps jetstream.ErrKeyExists.
	Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error)
	// Update stores key only if its latest revision is revision.
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
	// Delete removes key.
	Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error
}

// kvKeyPattern is what JetStream accepts as a key.
var kvKeyPattern = regexp.MustCompile(`^[-/_=.a-zA-Z0-9]+$`)

// cronState keeps the last stored tick of one cron trigger.
type cronState struct {
	kv  KeyValue
	key string
}

// load returns the last stored tick; ok is false when none is recorded.
func (s cronState) load(ctx context.Context) (last time.Time, ok bool, err error) {
	if s.kv == nil {
		return time.Time{}, false, nil
	}
	ctx, cancel := kvContext(ctx)
	defer cancel()
	entry, err := s.kv.Get(ctx, s.key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("cron state %s: %w", s.key, err)
	}
	last, err = time.Parse(time.RFC3339Nano, string(entry.Value()))
	if err != nil {
		return time.Time{}, false, fmt.Errorf("cron state %s: stored value %q is not an RFC 3339 time", s.key, entry.Value())
	}
	return last, true, nil
}

// save records tick unless a later one is already recorded (another
// process running the same trigger may be ahead). Concurrent writers are
// resolved by revision: the latest tick wins.
func (s cronState) save(ctx context.Context, tick time.Time) error {
	if s.kv == nil {
		return nil
	}
	ctx, cancel := kvContext(ctx)
	defer cancel()
	val := []byte(tick.UTC().Format(time.RFC3339Nano))
	var err error
	for range 5 {
		var entry jetstream.KeyValueEntry
		entry, err = s.kv.Get(ctx, s.key)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			if _, err = s.kv.Create(ctx, s.key, val); errors.Is(err, jetstream.ErrKeyExists) {
				continue
			}
			break
		}
		if err != nil {
			break
		}
		if prev, perr := time.Parse(time.RFC3339Nano, string(entry.Value())); perr == nil && !prev.Before(tick) {
			return nil
		}
		_, err = s.kv.Update(ctx, s.key, val, entry.Revision())
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			continue
		}
		break
	}
	if err != nil {
		return fmt.Errorf("cron state %s: %w", s.key, err)
	}
	return nil
}

// defaultKVTimeout bounds a key-value call whose context has no deadline.
const defaultKVTimeout = 5 * time.Second

func kvContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, defaultKVTimeout)
}
