package history

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
)

// Recorder publishes records to the history stream without waiting for
// their PubAcks. At most maxPending publishes are unacknowledged at once;
// a record that would exceed the window is dropped and counted, so a slow
// or unreachable stream never slows a handler down.
type Recorder struct {
	cfg        Config
	js         jetstream.JetStream
	maxPending int
	log        *slog.Logger

	recorded atomic.Uint64
	dropped  atomic.Uint64
	failed   atomic.Uint64
}

// RecorderOption tunes a Recorder.
type RecorderOption func(*Recorder)

// WithMaxPending sets the window of unacknowledged publishes (default
// DefaultMaxPending).
func WithMaxPending(n int) RecorderOption { return func(r *Recorder) { r.maxPending = n } }

// WithLogger logs failed publishes to l at debug level (nil discards).
func WithLogger(l *slog.Logger) RecorderOption { return func(r *Recorder) { r.log = l } }

// NewRecorder records to the history stream of cfg over nc. The stream is
// declared by whoever runs the mesh (`up`); records published while it
// does not exist are counted as failed.
func NewRecorder(nc *nats.Conn, cfg Config, opts ...RecorderOption) (*Recorder, error) {
	r := &Recorder{cfg: cfg.WithDefaults(), maxPending: DefaultMaxPending}
	for _, o := range opts {
		o(r)
	}
	if r.maxPending < 1 {
		return nil, fmt.Errorf("history: max pending %d: must be at least 1", r.maxPending)
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(nc,
		// One more than the window: Record checks the window itself and
		// drops, so PublishAsync never stalls.
		jetstream.WithPublishAsyncMaxPending(r.maxPending+1),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			r.failed.Add(1)
			r.log.Debug("run history record not stored", "subject", m.Subject, "error", err)
		}))
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	r.js = js
	return r, nil
}

// Record publishes rec. It never blocks on the broker: when the window of
// unacknowledged publishes is full, rec is dropped and counted.
func (r *Recorder) Record(rec Record) {
	if r.js.PublishAsyncPending() >= r.maxPending {
		r.dropped.Add(1)
		return
	}
	rec.Error = broker.TruncateReason(rec.Error)
	data, err := json.Marshal(rec)
	if err != nil { // a Record always marshals
		r.failed.Add(1)
		return
	}
	if _, err := r.js.PublishAsync(r.cfg.Subject(rec.Function, rec.Outcome), data); err != nil {
		r.dropped.Add(1)
		return
	}
	r.recorded.Add(1)
}

// Stats are a Recorder's counters.
type Stats struct {
	// Recorded were handed to the connection.
	Recorded uint64
	// Dropped were not sent: the window was full or the connection closed.
	Dropped uint64
	// Failed were sent but not stored (no PubAck, or an error answer).
	Failed uint64
}

// Stats returns the counters so far.
func (r *Recorder) Stats() Stats {
	return Stats{Recorded: r.recorded.Load(), Dropped: r.dropped.Load(), Failed: r.failed.Load()}
}

// Flush waits until every record sent so far has its PubAck or ctx ends.
func (r *Recorder) Flush(ctx context.Context) error {
	select {
	case <-r.js.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("history: flush: %d records unacknowledged: %w", r.js.PublishAsyncPending(), ctx.Err())
	}
}
