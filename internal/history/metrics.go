package history

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// RunObserver is told of every attempt read from the history
// (telemetry.Metrics implements it).
type RunObserver interface {
	ObserveRun(ctx context.Context, fn, outcome string, d time.Duration)
}

// counterRetry is how long a Counter waits before it looks again for a
// history stream that does not exist yet or a consumer that failed.
const counterRetry = time.Second

// Counter feeds a RunObserver from the history stream: it reads every
// record stored from a start time on, with an ordered consumer (no state on
// the server, nothing acknowledged), so the counts of a function do not
// depend on the lifetime of the replicas that did the work. Each Counter
// reads the whole stream: on a cluster every `up` node counts every
// function once.
type Counter struct {
	cfg   Config
	js    jetstream.JetStream
	obs   RunObserver
	log   *slog.Logger
	since time.Time
	win   *Window
}

// CounterOption tunes a Counter.
type CounterOption func(*Counter)

// WithWindow also counts every record into w, from the records stored a
// span of w before since on (the RunObserver still sees only those stored
// from since on).
func WithWindow(w *Window) CounterOption { return func(c *Counter) { c.win = w } }

// NewCounter reads the history of cfg over nc, from the records stored at
// since on, and tells obs of each. log may be nil.
func NewCounter(nc *nats.Conn, cfg Config, obs RunObserver, since time.Time, log *slog.Logger, opts ...CounterOption) (*Counter, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Counter{cfg: cfg.WithDefaults(), js: js, obs: obs, log: log, since: since}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Run reads until ctx ends. A missing stream is waited for; a consumer
// that fails is created again from the last sequence read, so nothing is
// counted twice or skipped (short of records the stream's limits removed
// in between).
func (c *Counter) Run(ctx context.Context) error {
	var last uint64
	for {
		err := c.consume(ctx, &last)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			c.log.Debug("run history metrics: consumer restarts", "err", err)
		}
		t := time.NewTimer(counterRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// consume reads from *last+1 (or c.since when nothing was read yet) until
// ctx ends or the consumer fails.
func (c *Counter) consume(ctx context.Context, last *uint64) error {
	s, err := c.js.Stream(ctx, c.cfg.Stream)
	if err != nil {
		return fmt.Errorf("history: stream %s: %w", c.cfg.Stream, err)
	}
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: c.cfg.Subjects("")}
	if *last > 0 {
		occ.DeliverPolicy, occ.OptStartSeq = jetstream.DeliverByStartSequencePolicy, *last+1
	} else {
		since := c.since
		if c.win != nil {
			since = since.Add(-c.win.Span())
		}
		occ.DeliverPolicy, occ.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	cons, err := s.OrderedConsumer(ctx, occ)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	for {
		msg, err := it.Next()
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		observe := true
		if md, err := msg.Metadata(); err == nil {
			*last = md.Sequence.Stream
			observe = !md.Timestamp.Before(c.since)
		}
		c.count(ctx, msg.Data(), observe)
	}
}

// count adds each record of one history message (JSON lines) to the window
// and, when observe, tells the observer of it; a line that is not a
// record is skipped.
func (c *Counter) count(ctx context.Context, data []byte, observe bool) {
	eachRecord(data, nil, func(rec Record) {
		if c.win != nil {
			c.win.Add(rec.Function, rec.Outcome, rec.Time)
		}
		if observe {
			c.obs.ObserveRun(ctx, rec.Function, rec.Outcome, time.Duration(rec.Duration))
		}
	})
}
