package triggers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
)

// WebhookBucket is the JetStream key-value bucket that remembers webhook
// delivery ids (key = "<trigger name>.<sha256 of the id>").
const WebhookBucket = "fnmesh_webhook_ids"

// WebhookDedupTTL is how long a delivery id is remembered: longer than
// providers keep retrying (GitHub redelivers on request, Stripe retries for
// three days).
const WebhookDedupTTL = 72 * time.Hour

// pendingTimeout is how long a claimed delivery id may stay unconfirmed
// before another request may take it over (the process that claimed it
// stopped between claim and publish).
const pendingTimeout = 30 * time.Second

// Values of a delivery id's key.
const (
	deliveryPending = "pending"
	deliveryStored  = "stored"
)

var (
	// errDuplicateDelivery means the delivery was stored before.
	errDuplicateDelivery = errors.New("duplicate delivery")
	// errDeliveryInProgress means another request is storing the delivery.
	errDeliveryInProgress = errors.New("this delivery is being stored by another request, retry later")
)

// hookDedup claims delivery ids in a key-value bucket; the zero kv turns it
// off.
type hookDedup struct {
	kv     KeyValue
	prefix string
	// pending is how old an unconfirmed claim must be to be taken over.
	pending time.Duration
}

// dedupClaim is a delivery id claimed for storing.
type dedupClaim struct {
	key string
	rev uint64
}

// key is the bucket key of a delivery id: ids are chosen by providers and
// may hold characters keys cannot.
func (d hookDedup) key(id string) string {
	sum := sha256.Sum256([]byte(id))
	return d.prefix + hex.EncodeToString(sum[:])
}

// claim marks id as being stored. It fails with errDuplicateDelivery when
// the id was stored before, errDeliveryInProgress while another request
// holds a recent claim, or an error wrapping broker.ErrUnavailable. A
// claim older than pendingTimeout is taken over.
func (d hookDedup) claim(ctx context.Context, id string) (dedupClaim, error) {
	if d.kv == nil {
		return dedupClaim{}, nil
	}
	ctx, cancel := kvContext(ctx)
	defer cancel()
	key := d.key(id)
	for range 3 {
		rev, err := d.kv.Create(ctx, key, []byte(deliveryPending))
		if err == nil {
			return dedupClaim{key: key, rev: rev}, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return dedupClaim{}, fmt.Errorf("webhook ids: %w: %w", broker.ErrUnavailable, err)
		}
		entry, err := d.kv.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
			continue // released in between
		case err != nil:
			return dedupClaim{}, fmt.Errorf("webhook ids: %w: %w", broker.ErrUnavailable, err)
		case string(entry.Value()) == deliveryStored:
			return dedupClaim{}, errDuplicateDelivery
		case time.Since(entry.Created()) < d.pending:
			return dedupClaim{}, errDeliveryInProgress
		}
		rev, err = d.kv.Update(ctx, key, []byte(deliveryPending), entry.Revision())
		switch {
		case err == nil:
			return dedupClaim{key: key, rev: rev}, nil
		case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyExists):
			continue
		default:
			return dedupClaim{}, fmt.Errorf("webhook ids: %w: %w", broker.ErrUnavailable, err)
		}
	}
	return dedupClaim{}, errDeliveryInProgress
}

// commit marks a claimed id as stored.
func (d hookDedup) commit(ctx context.Context, c dedupClaim) error {
	if d.kv == nil {
		return nil
	}
	ctx, cancel := kvContext(context.WithoutCancel(ctx))
	defer cancel()
	if _, err := d.kv.Update(ctx, c.key, []byte(deliveryStored), c.rev); err != nil {
		return fmt.Errorf("webhook ids: %w", err)
	}
	return nil
}

// release gives up a claim after a failed publish, so that the provider's
// retry is accepted. Only the claim's own revision is deleted.
func (d hookDedup) release(ctx context.Context, c dedupClaim) error {
	if d.kv == nil {
		return nil
	}
	ctx, cancel := kvContext(context.WithoutCancel(ctx))
	defer cancel()
	if err := d.kv.Delete(ctx, c.key, jetstream.LastRevision(c.rev)); err != nil {
		return fmt.Errorf("webhook ids: %w", err)
	}
	return nil
}

// duplicateBody answers a delivery that was stored before.
type duplicateBody struct {
	Duplicate bool   `json:"duplicate"`
	ID        string `json:"id"`
}

// store claims the delivery id, publishes e and answers.
func (h *Hook) store(w http.ResponseWriter, r *http.Request, e *event.Event) {
	ctx := r.Context()
	claim, err := h.dedup.claim(ctx, e.ID())
	switch {
	case errors.Is(err, errDuplicateDelivery):
		h.log.Info("duplicate delivery ignored", "id", e.ID())
		writeJSON(w, http.StatusOK, duplicateBody{Duplicate: true, ID: e.ID()})
		return
	case errors.Is(err, errDeliveryInProgress):
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusConflict, err)
		return
	case err != nil:
		h.log.Warn("delivery id cannot be claimed", "id", e.ID(), "error", err)
		writeError(w, http.StatusServiceUnavailable, errUnavailable)
		return
	}
	ack, err := h.pub.Publish(ctx, e)
	if err != nil {
		if rerr := h.dedup.release(ctx, claim); rerr != nil {
			h.log.Warn("delivery id not released; a retry is accepted once the claim is older than the pending timeout", "id", e.ID(), "error", rerr)
		}
		status, answer := publishFailure(ctx, err)
		logPublishFailure(h.log, e, status, err)
		writeError(w, status, answer)
		return
	}
	if err := h.dedup.commit(ctx, claim); err != nil {
		h.log.Warn("delivery id not confirmed", "id", e.ID(), "error", err)
	}
	if ack.Duplicate {
		writeJSON(w, http.StatusOK, duplicateBody{Duplicate: true, ID: e.ID()})
		return
	}
	writeJSON(w, http.StatusAccepted, acceptedBody{ID: e.ID()})
}
