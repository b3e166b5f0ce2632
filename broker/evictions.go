package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Eviction is a count of events a stream removed (at a limit, or at
// maxAge) before one of its consumers had processed them.
type Eviction struct {
	// Stream removed the events.
	Stream string
	// Consumer had not processed them (a function's durable consumer).
	Consumer string
	// Count is how many, since the previous sample.
	Count uint64
}

// limitsTerminated is the reason JetStream gives when it terminates a
// delivered, unacknowledged message that the stream removed.
const limitsTerminated = "Message deleted by stream limits"

// terminatedAdvisories is where JetStream announces terminated messages
// ($JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.<stream>.<consumer>).
const terminatedAdvisories = "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.>"

// EvictionWatch counts the events streams remove before their consumers
// processed them. JetStream reports no such removal, so it is found two
// ways:
//
//   - delivered, unacknowledged messages the stream removed are terminated
//     by the server with an advisory naming the reason (exact, but the
//     server looks only about once a minute);
//   - messages removed before they were even delivered are estimated from
//     samples of each consumer: between two samples a consumer passed
//     (Delivered.Stream grew) by more stream sequences than it delivered
//     messages (Delivered.Consumer grew), over sequences the stream no
//     longer holds. For a consumer that takes every message of its stream
//     this is exact as long as nothing was redelivered in between (a
//     redelivery makes it count one less). For one that selects part of a
//     stream whose other messages are removed too it is at most the
//     backlog the consumer had at the samples before: it may count some
//     of the others, and misses its own that arrived and were removed
//     between two samples while it was not pending them. Sample often
//     (every second).
type EvictionWatch struct {
	c       *Client
	streams map[string]bool
	sub     *nats.Subscription

	mu         sync.Mutex
	consumers  map[[2]string]consumerSample
	terminated map[[2]string]uint64
}

// consumerSample is what the previous sample saw of a consumer.
type consumerSample struct {
	created    time.Time
	delivered  uint64 // Delivered.Stream
	deliveries uint64 // Delivered.Consumer
	peak       uint64 // most NumPending since delivered last grew
	all        bool   // the consumer takes every message of the stream
}

// WatchEvictions watches the consumers of streams; Close stops it.
func (c *Client) WatchEvictions(streams ...string) (*EvictionWatch, error) {
	w := &EvictionWatch{
		c: c, streams: map[string]bool{},
		consumers: map[[2]string]consumerSample{}, terminated: map[[2]string]uint64{},
	}
	for _, s := range streams {
		w.streams[s] = true
	}
	sub, err := c.nc.Subscribe(terminatedAdvisories, w.advisory)
	if err != nil {
		return nil, fmt.Errorf("broker: eviction advisories: %w", err)
	}
	w.sub = sub
	return w, nil
}

// advisory counts a message the server terminated because its stream
// removed it.
func (w *EvictionWatch) advisory(msg *nats.Msg) {
	var a struct {
		Stream   string `json:"stream"`
		Consumer string `json:"consumer"`
		Reason   string `json:"reason"`
	}
	if json.Unmarshal(msg.Data, &a) != nil || a.Reason != limitsTerminated || !w.streams[a.Stream] {
		return
	}
	w.mu.Lock()
	w.terminated[[2]string{a.Stream, a.Consumer}]++
	w.mu.Unlock()
}

// Sample reads every watched stream's consumers and returns what was
// removed unprocessed since the previous sample, by stream and consumer
// (nothing on the first sample of a consumer). A stream that does not
// exist is skipped.
func (w *EvictionWatch) Sample(ctx context.Context) ([]Eviction, error) {
	ctx, cancel := w.c.withTimeout(ctx)
	defer cancel()
	found := map[[2]string]uint64{}
	var errs []error
	for name := range w.streams {
		errs = append(errs, w.sampleStream(ctx, name, found))
	}
	w.mu.Lock()
	for k, n := range w.terminated {
		found[k] += n
	}
	clear(w.terminated)
	w.mu.Unlock()
	out := make([]Eviction, 0, len(found))
	for k, n := range found {
		if n > 0 {
			out = append(out, Eviction{Stream: k[0], Consumer: k[1], Count: n})
		}
	}
	return out, errors.Join(errs...)
}

// sampleStream adds the estimate of each consumer of stream name to found.
func (w *EvictionWatch) sampleStream(ctx context.Context, name string, found map[[2]string]uint64) error {
	st, err := w.c.js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("broker: stream %s: %w", name, err)
	}
	info := st.CachedInfo()
	first := info.State.FirstSeq
	l := st.ListConsumers(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	for ci := range l.Info() {
		k := [2]string{name, ci.Name}
		cur := consumerSample{created: ci.Created, delivered: ci.Delivered.Stream, deliveries: ci.Delivered.Consumer, peak: ci.NumPending,
			all: takesAll(ci.Config, info.Config.Subjects)}
		prev, ok := w.consumers[k]
		w.consumers[k] = cur
		if !ok || !prev.created.Equal(cur.created) || cur.deliveries < prev.deliveries || cur.delivered < prev.delivered {
			continue // new, re-created or reset: nothing to compare with
		}
		if cur.delivered == prev.delivered {
			cur.peak = max(cur.peak, prev.peak)
			w.consumers[k] = cur
			continue
		}
		found[k] += skippedEstimate(prev, cur, first)
	}
	if err := l.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		return fmt.Errorf("broker: consumers of %s: %w", name, err)
	}
	return nil
}

// skippedEstimate is how many messages a consumer passed between samples
// prev and cur without delivering them, over sequences below first (no
// longer stored); for a consumer that selects part of the stream at most
// the backlog it had (see EvictionWatch).
func skippedEstimate(prev, cur consumerSample, first uint64) uint64 {
	passed := cur.delivered - prev.delivered
	handed := cur.deliveries - prev.deliveries
	if passed <= handed || first == 0 || first-1 <= prev.delivered {
		return 0
	}
	gone := min(cur.delivered, first-1) - prev.delivered
	n := min(passed-handed, gone)
	if !cur.all {
		n = min(n, prev.peak)
	}
	return n
}

// takesAll reports whether a consumer configured as cfg takes every
// message of a stream capturing subjects: no filter, or the stream's own
// subjects.
func takesAll(cfg jetstream.ConsumerConfig, subjects []string) bool {
	filters := slices.Clone(cfg.FilterSubjects)
	if cfg.FilterSubject != "" {
		filters = append(filters, cfg.FilterSubject)
	}
	if len(filters) == 0 {
		return true
	}
	for _, s := range subjects {
		if !slices.Contains(filters, s) {
			return false
		}
	}
	return len(subjects) > 0
}

// Watched is how many consumers the samples so far have seen.
func (w *EvictionWatch) Watched() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.consumers)
}

// Close stops watching the advisories.
func (w *EvictionWatch) Close() error {
	if err := w.sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("broker: eviction advisories: %w", err)
	}
	return nil
}
