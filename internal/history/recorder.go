package history

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
)

// Batching of a Recorder. One message per record would double the
// broker's work per event (a second stored message and PubAck for every
// delivery) and cost the pipeline two thirds of its throughput; a batch
// of records per message costs next to nothing.
const (
	// DefaultBatchSize is the most records in one message.
	DefaultBatchSize = 256
	// DefaultFlushInterval is the longest a record waits in memory before
	// it is sent (what a kill -9 can lose of the history).
	DefaultFlushInterval = 100 * time.Millisecond
	// DefaultMaxBuffered bounds the records waiting in memory; past it a
	// record is dropped and counted.
	DefaultMaxBuffered = 16384
	// maxPendingBatches is the window of batches awaiting their PubAck;
	// past it a batch is dropped and its records counted.
	maxPendingBatches = 64
)

// Recorder collects records in memory and publishes them in batches (one
// message of JSON lines per function and shard) without waiting for their PubAcks.
// Record never blocks on the broker: a record that finds the buffer full,
// or whose batch finds the window of unacknowledged publishes full, is
// dropped and counted.
type Recorder struct {
	cfg         Config
	js          jetstream.JetStream
	log         *slog.Logger
	batchSize   int
	maxBuffered int
	interval    time.Duration

	mu  sync.Mutex
	buf map[batchKey][]Record
	// spare is the previous buf, emptied, kept by the sender for its
	// next swap: the batches' slices are not grown again every flush.
	spare    map[batchKey][]Record
	buffered int
	kick     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once

	recorded atomic.Uint64
	dropped  atomic.Uint64
	failed   atomic.Uint64
}

// RecorderOption tunes a Recorder.
type RecorderOption func(*Recorder)

// WithMaxBuffered bounds the records waiting in memory (default
// DefaultMaxBuffered).
func WithMaxBuffered(n int) RecorderOption { return func(r *Recorder) { r.maxBuffered = n } }

// WithFlushInterval sets how long a record may wait before it is sent
// (default DefaultFlushInterval).
func WithFlushInterval(d time.Duration) RecorderOption { return func(r *Recorder) { r.interval = d } }

// WithLogger logs failed publishes to l at debug level (nil discards).
func WithLogger(l *slog.Logger) RecorderOption { return func(r *Recorder) { r.log = l } }

// NewRecorder records to the history stream of cfg over nc until Close.
// The stream is declared by whoever runs the mesh (`up`); records sent
// while it does not exist are counted as failed.
func NewRecorder(nc *nats.Conn, cfg Config, opts ...RecorderOption) (*Recorder, error) {
	r := &Recorder{
		cfg: cfg.WithDefaults(), batchSize: DefaultBatchSize, maxBuffered: DefaultMaxBuffered, interval: DefaultFlushInterval,
		buf: map[batchKey][]Record{}, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	for _, o := range opts {
		o(r)
	}
	if r.maxBuffered < 1 || r.interval <= 0 {
		return nil, fmt.Errorf("history: max buffered %d and flush interval %v: must be positive", r.maxBuffered, r.interval)
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(nc,
		// One more than the window: send checks the window itself and
		// drops, so PublishAsync never stalls.
		jetstream.WithPublishAsyncMaxPending(maxPendingBatches+1),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			r.failed.Add(uint64(records(m.Data)))
			r.log.Debug("run history records not stored", "subject", m.Subject, "error", err)
		}))
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	r.js = js
	go r.loop()
	return r, nil
}

// Record keeps rec for the next batch. It never blocks on the broker.
func (r *Recorder) Record(rec Record) {
	r.mu.Lock()
	if r.buffered >= r.maxBuffered {
		r.mu.Unlock()
		r.dropped.Add(1)
		return
	}
	k := batchKey{rec.Function, shard(rec.EventID)}
	b := append(r.buf[k], rec)
	r.buf[k] = b
	r.buffered++
	full := len(b) >= r.batchSize
	r.mu.Unlock()
	if full {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
}

// loop sends what is buffered every interval, or sooner when a batch is
// full, until Close.
func (r *Recorder) loop() {
	defer close(r.done)
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			r.send()
			return
		case <-t.C:
		case <-r.kick:
		}
		r.send()
	}
}

// send publishes the buffered records, a batch of at most batchSize per
// message.
func (r *Recorder) send() {
	spare := r.spare
	if spare == nil {
		spare = map[batchKey][]Record{}
	}
	r.mu.Lock()
	buf := r.buf
	r.buf, r.buffered = spare, 0
	r.mu.Unlock()
	for k, recs := range buf {
		subject := r.cfg.subject(k.function, k.shard)
		for rest := recs; len(rest) > 0; {
			n := min(len(rest), r.batchSize)
			r.publish(subject, rest[:n])
			rest = rest[n:]
		}
		clear(recs) // the strings can go
		buf[k] = recs[:0]
	}
	r.spare = buf
}

// batchKey is what the records of one message share: their function and
// the shard of their event.
type batchKey struct {
	function string
	shard    uint8
}

func (r *Recorder) publish(subject string, recs []Record) {
	if r.js.PublishAsyncPending() >= maxPendingBatches {
		r.dropped.Add(uint64(len(recs)))
		return
	}
	// A header, then one record per line; PublishAsync keeps it. Records
	// without what the header holds take some 150 bytes: one allocation
	// for most batches.
	def := shared(&recs[0])
	data := appendHeader(make([]byte, 0, 256+len(recs)*192), &def)
	for i := range recs {
		recs[i].Error = broker.TruncateReason(recs[i].Error)
		data = appendRecord(data, &recs[i], &def)
	}
	if _, err := r.js.PublishAsync(subject, data); err != nil {
		r.dropped.Add(uint64(len(recs)))
		return
	}
	r.recorded.Add(uint64(len(recs)))
}

// Stats are a Recorder's counters.
type Stats struct {
	// Recorded were sent to the broker.
	Recorded uint64
	// Dropped were not sent: the buffer or the window was full, or the
	// connection closed.
	Dropped uint64
	// Failed were sent but not stored (no PubAck, or an error answer).
	Failed uint64
}

// Stats returns the counters so far.
func (r *Recorder) Stats() Stats {
	return Stats{Recorded: r.recorded.Load(), Dropped: r.dropped.Load(), Failed: r.failed.Load()}
}

// Close sends what is buffered and waits until every record sent has its
// PubAck or ctx ends. It is idempotent; Record must not be called after.
func (r *Recorder) Close(ctx context.Context) error {
	r.stopOnce.Do(func() { close(r.stop) })
	select {
	case <-r.done:
	case <-ctx.Done():
		return fmt.Errorf("history: close: %w", ctx.Err())
	}
	select {
	case <-r.js.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("history: close: %d batches unacknowledged: %w", r.js.PublishAsyncPending(), ctx.Err())
	}
}
