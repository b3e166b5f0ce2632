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
	"github.com/fnmesh/fnmesh/triggers/webhook"
)

// WebhookBucket is the JetStream key-value bucket that remembers webhook
// delivery ids (key = "<trigger name>.<sha256 of the id>").
const WebhookBucket = "fnmesh_webhook_ids"

// WebhookDedupTTL is how long a delivery id is remembered: the providers'
// retry horizon.
const WebhookDedupTTL = webhook.RetryHorizon

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

// bodyKey is the bucket key of a delivery body, apart from every id's.
func (d hookDedup) bodyKey(body []byte) string {
	sum := sha256.Sum256(body)
	return d.key("body:" + hex.EncodeToString(sum[:]))
}

// claim marks id as being stored. It fails with errDuplicateDelivery when
// the id was stored before, errDeliveryInProgress while another request
// holds a recent claim, or an error wrapping broker.ErrUnavailable. A
// claim older than pendingTimeout is taken over.
func (d hookDedup) claim(ctx context.Context, id string) (dedupClaim, error) {
	return d.claimKey(ctx, d.key(id), 0)
}

// claimBody is claim for the body of a delivery, remembered for window: a
// body stored longer ago than that is taken over and stored again.
func (d hookDedup) claimBody(ctx context.Context, body []byte, window time.Duration) (dedupClaim, error) {
	return d.claimKey(ctx, d.bodyKey(body), window)
}

// claimKey claims key; a stored entry counts for window (0: as long as the
// bucket keeps it).
func (d hookDedup) claimKey(ctx context.Context, key string, window time.Duration) (dedupClaim, error) {
	if d.kv == nil {
		return dedupClaim{}, nil
	}
	ctx, cancel := kvContext(ctx)
	defer cancel()
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
		}
		stored, age := string(entry.Value()) == deliveryStored, time.Since(entry.Created())
		switch {
		case stored && (window <= 0 || age < window):
			return dedupClaim{}, errDuplicateDelivery
		case !stored && age < d.pending:
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

// store claims the delivery id (and the body, with a body window),
// publishes e and answers.
func (h *Hook) store(w http.ResponseWriter, r *http.Request, e *event.Event, body []byte) {
	ctx := r.Context()
	claims, err := h.claim(ctx, e.ID(), body)
	switch {
	case errors.Is(err, errDuplicateDelivery):
		h.log.Info("duplicate delivery ignored", "id", logValue(e.ID()))
		writeJSON(w, http.StatusOK, duplicateBody{Duplicate: true, ID: e.ID()})
		return
	case errors.Is(err, errDeliveryInProgress):
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusConflict, err)
		return
	case err != nil:
		h.log.Warn("delivery id cannot be claimed", "id", logValue(e.ID()), "error", err)
		writeError(w, http.StatusServiceUnavailable, errUnavailable)
		return
	}
	ack, err := h.pub.Publish(ctx, e)
	if err != nil {
		h.release(ctx, e, claims)
		status, answer := publishFailure(ctx, err)
		logPublishFailure(h.log, e, status, err)
		writeError(w, status, answer)
		return
	}
	for _, c := range claims {
		if err := h.dedup.commit(ctx, c); err != nil {
			h.log.Warn("delivery id not confirmed", "id", logValue(e.ID()), "error", err)
		}
	}
	if ack.Duplicate {
		writeJSON(w, http.StatusOK, duplicateBody{Duplicate: true, ID: e.ID()})
		return
	}
	writeJSON(w, http.StatusAccepted, acceptedBody{ID: e.ID()})
}

// claim claims the delivery id and, with a body window, the body; when the
// second claim fails the first is released.
func (h *Hook) claim(ctx context.Context, id string, body []byte) ([]dedupClaim, error) {
	c, err := h.dedup.claim(ctx, id)
	if err != nil || h.bodyWindow <= 0 {
		return []dedupClaim{c}, err
	}
	bc, err := h.dedup.claimBody(ctx, body, h.bodyWindow)
	if err != nil {
		if errors.Is(err, errDuplicateDelivery) {
			h.log.Warn("delivery with the body of a stored one refused as a replay", "id", logValue(id), "window", h.bodyWindow)
		}
		if rerr := h.dedup.release(ctx, c); rerr != nil {
			h.log.Warn("delivery id not released", "id", logValue(id), "error", rerr)
		}
		return nil, err
	}
	return []dedupClaim{c, bc}, nil
}

// release gives up the claims of a delivery whose publish failed, so that
// the provider's retry is accepted.
func (h *Hook) release(ctx context.Context, e *event.Event, claims []dedupClaim) {
	for _, c := range claims {
		if err := h.dedup.release(ctx, c); err != nil {
			h.log.Warn("delivery id not released; a retry is accepted once the claim is older than the pending timeout", "id", logValue(e.ID()), "error", err)
		}
	}
}
