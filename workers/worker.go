package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
)

// Timing of the consume loop.
const (
	// pullExpiry is how long one pull request of the long-lived pull waits
	// at the server; an idle replica renews its request once per expiry.
	pullExpiry = 5 * time.Second
	// pullHeartbeat is the idle heartbeat the server sends on the pull; two
	// missed ones open a new pull (a lost request, a restarted server).
	pullHeartbeat = 2 * time.Second
	// opTimeout bounds one publish or acknowledgement round trip.
	opTimeout = 5 * time.Second
	// handlerGrace is how long a handler may run past its deadline before the
	// worker gives up waiting and settles the event without it.
	handlerGrace = time.Second
	// crashMargin is the number of deliveries past the last attempt that
	// still call the handler (any failure then dead-letters at once). They
	// cover deliveries that ended without a result through no fault of the
	// event (a lost ack, a crash of another replica); beyond them the event
	// is dead-lettered without calling the handler, so an event that
	// crashes every worker that takes it does not loop forever.
	crashMargin = 2
)

// Worker is one replica of a function: it pulls the function's events from
// its durable consumer, filters them, calls the handler with at most
// concurrency events in flight and acknowledges, retries or dead-letters
// each according to the Handler contract.
type Worker struct {
	cfg    Config // defaults applied, valid
	b      Broker
	filter Filter
	h      Handler
	log    *slog.Logger
	hooks  Hooks

	filterWarn filterWarner // rate-limits the WARN about failing filters

	slots   chan struct{} // one token per event in flight
	ord     *orderer      // nil unless cfg.Ordering is set
	tokens  *tokenPool    // the rate limit of an ordered function (nil otherwise)
	acks    *acker        // writes the acks of the plain consume loop (nil otherwise)
	pool    *gopool       // goroutines of the plain loop's settles and of handler calls (nil outside Run)
	started atomic.Bool
	ready   atomic.Bool
	lost    atomic.Bool // the consumer vanished; re-create it
	resume  resumePoint // where a re-created consumer starts
}

// Option tunes how a Worker reports what it does.
type Option func(*options)

type options struct {
	log   *slog.Logger
	hooks Hooks
}

// WithLogger sends the worker's logs to l (nil discards, the default).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithHooks installs observation points for tracing and metrics.
func WithHooks(h Hooks) Option { return func(o *options) { o.hooks = h } }

// New prepares a worker: cfg's defaults are applied, then the options, then
// cfg is validated (errors wrap ErrInvalidFunction or ErrInvalidFilter) and
// its filters compiled. Nothing touches the broker before Run.
func New(cfg Config, b Broker, h Handler, opts ...Option) (*Worker, error) {
	cfg.setDefaults()
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	var missing []string
	if b.Consumers == nil {
		missing = append(missing, "Broker.Consumers")
	}
	if b.Publisher == nil {
		missing = append(missing, "Broker.Publisher")
	}
	if b.DeadLetterer == nil && *cfg.Delivery.DeadLetter {
		missing = append(missing, "Broker.DeadLetterer")
	}
	if h == nil {
		missing = append(missing, "handler")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("workers: function %q: %s: required: %w", cfg.Function, strings.Join(missing, ", "), ErrInvalidFunction)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, ok := h.(BatchHandler); cfg.Batch != nil && !ok {
		return nil, fmt.Errorf("workers: function %q: batch: the handler does not handle batches (it must implement BatchHandler): %w", cfg.Function, ErrInvalidFunction)
	}
	filter, _ := CompileFilters(cfg.Filters) // Validate compiled them
	if cfg.Replica == "" {
		host, _ := os.Hostname()
		cfg.Replica = host + "-" + strconv.Itoa(os.Getpid())
	}
	log := o.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Worker{
		cfg: cfg, b: b, filter: filter, h: h, hooks: o.hooks,
		log:   log.With("function", cfg.Function, "replica", cfg.Replica),
		slots: make(chan struct{}, cfg.Concurrency),
	}
	if cfg.Ordering != nil {
		inFlight := cfg.Concurrency
		if cfg.Batch != nil {
			inFlight *= cfg.Batch.MaxEvents
		}
		w.ord = newOrderer(*cfg.Ordering, inFlight)
		if cfg.RateLimit != nil {
			w.tokens = &tokenPool{w: w}
		}
	}
	return w, nil
}

// Ready reports whether the worker's consumer exists and its connection is
// up (the readiness probe).
func (w *Worker) Ready() bool { return w.ready.Load() && w.b.Consumers.Conn().IsConnected() }

// Run consumes until ctx ends, then drains: it stops pulling, lets the
// events in hand finish (those already requested from the server are
// handled too) for up to ShutdownTimeout, cancels the handlers still
// running after that and releases their events for redelivery, and returns
// nil. It first creates or updates the function's durable consumer,
// retrying while the broker is unreachable. Run returns an error only when
// the connection is closed under it or when called twice.
func (w *Worker) Run(ctx context.Context) error {
	if !w.started.CompareAndSwap(false, true) {
		return errors.New("workers: Run called more than once")
	}
	cons, err := w.ensure(ctx)
	if err != nil {
		return nil // ctx ended before the consumer existed: nothing in hand
	}
	// Handlers, publishes and acks run under hard, which outlives ctx for
	// the drain and ends at the shutdown timeout.
	hard, abort := context.WithCancel(context.WithoutCancel(ctx))
	defer abort()
	var inflight sync.WaitGroup
	var runErr error
	w.pool = newGopool()
	switch {
	case w.cfg.RateLimit != nil && w.cfg.Batch != nil && w.ord == nil:
		runErr = w.limitedBatchConsume(ctx, hard, cons, &inflight)
	case w.cfg.RateLimit != nil && w.ord == nil:
		runErr = w.limitedConsume(ctx, hard, cons, &inflight)
	default:
		// An ordered function with a rate limit takes its tokens as each
		// key's runner starts an event, or as an event is put into an
		// ordered batch (see runKey, orderedBatches).
		if w.ord == nil && w.cfg.Batch == nil {
			w.acks = newAcker(w.cfg.Concurrency)
		}
		runErr = w.pullLoop(ctx, hard, cons, &inflight)
	}
	w.ready.Store(false)

	done := make(chan struct{})
	go func() {
		inflight.Wait()
		if w.acks != nil {
			w.acks.close() // after the last settle: no ack is queued later
		}
		w.pool.close() // after the last settle: no function is handed to it later
		close(done)
	}()
	timer := time.NewTimer(w.cfg.ShutdownTimeout)
	defer timer.Stop()
	select {
	case <-done:
		w.log.Info("worker drained")
	case <-timer.C:
		w.log.Warn("shutdown timeout: cancelling the handlers still running", "timeout", w.cfg.ShutdownTimeout)
		abort()
		select {
		case <-done:
		case <-time.After(handlerGrace + opTimeout):
			w.log.Error("handlers ignore cancellation; their events will be redelivered after the ack wait")
		}
	}
	// Acks are written without waiting for the server: push them out before
	// the caller closes the connection.
	if err := w.b.Consumers.Conn().FlushTimeout(opTimeout); err != nil && !w.b.Consumers.Conn().IsClosed() {
		w.log.Warn("flushing acks on drain; unflushed events will be redelivered after the ack wait", "error", err)
	}
	return runErr
}

// ensure creates or updates the durable consumer, retrying until it
// succeeds or ctx ends.
func (w *Worker) ensure(ctx context.Context) (jetstream.Consumer, error) {
	cfg := ConsumerConfig(w.cfg)
	if seq, ok := w.resume.start(); ok && w.lost.Load() {
		// The consumer vanished while this worker consumed: a new one
		// starts where this replica stood, not at startFrom (see
		// resumePoint). An existing one (another replica was quicker)
		// keeps its position.
		cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = jetstream.DeliverByStartSequencePolicy, seq, nil
	}
	wait := 250 * time.Millisecond
	for {
		cons, err := w.b.Consumers.EnsureConsumer(ctx, w.cfg.Stream, cfg)
		if err == nil {
			w.resume.ensured(cons.CachedInfo())
			w.ready.Store(true)
			w.lost.Store(false)
			w.log.Info("consuming", "stream", w.cfg.Stream, "consumer", cfg.Durable, "filter_subjects", cfg.FilterSubjects,
				"concurrency", w.cfg.Concurrency)
			return cons, nil
		}
		w.ready.Store(false)
		w.log.Warn("cannot create the consumer; retrying", "stream", w.cfg.Stream, "error", err, "retry_in", wait)
		if !sleep(ctx, wait) {
			return nil, ctx.Err()
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// pullLoop consumes with one long-lived pull (jetstream Messages) until
// ctx ends. A handler slot is taken before each message is asked of the
// iterator, and the iterator requests at most Concurrency messages ahead,
// so the messages waiting in the client are bounded by the slots. The
// server sends idle heartbeats on the pull; a missed one or a lost
// consumer opens a new pull. When ctx ends the iterator is drained: the
// messages already requested are still handled, in goroutines counted in
// inflight, and pullLoop returns.
func (w *Worker) pullLoop(ctx, hard context.Context, cons jetstream.Consumer, inflight *sync.WaitGroup) error {
	wait := 100 * time.Millisecond
	for {
		if w.lost.Load() {
			c, err := w.ensure(ctx)
			if err != nil {
				return nil
			}
			cons = c
		}
		it, err := cons.Messages(w.pullOpts()...)
		if err != nil {
			if w.b.Consumers.Conn().IsClosed() {
				return fmt.Errorf("workers: function %q: %w: %w", w.cfg.Function, broker.ErrUnavailable, nats.ErrConnectionClosed)
			}
			w.fetchFailed(err)
			if !sleep(ctx, wait) {
				return nil
			}
			wait = min(2*wait, 2*time.Second)
			continue
		}
		ended := make(chan struct{})
		stopDrain := context.AfterFunc(ctx, it.Drain)
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			defer close(ended)
			switch {
			case w.ord != nil:
				w.orderedConsume(hard, cons, it, inflight)
			case w.cfg.Batch != nil:
				w.batchConsume(hard, it, inflight)
			default:
				w.consume(hard, it, inflight)
			}
		}()
		select {
		case <-ctx.Done():
			return nil // consume hands out what the drain still delivers
		case <-ended:
		}
		stopDrain()
		if w.b.Consumers.Conn().IsClosed() {
			return fmt.Errorf("workers: function %q: %w: %w", w.cfg.Function, broker.ErrUnavailable, nats.ErrConnectionClosed)
		}
		if !sleep(ctx, wait) {
			return nil
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// pullOpts are the options of the long-lived pull.
func (w *Worker) pullOpts() []jetstream.PullMessagesOpt {
	if w.ord != nil {
		return []jetstream.PullMessagesOpt{jetstream.PullMaxMessages(w.cfg.Concurrency + 100),
			jetstream.PullExpiry(pullExpiry), jetstream.PullHeartbeat(pullHeartbeat), jetstream.PullPriorityGroup(orderGroup)}
	}
	n := w.cfg.Concurrency
	if b := w.cfg.Batch; b != nil {
		n *= b.MaxEvents
	}
	return []jetstream.PullMessagesOpt{jetstream.PullMaxMessages(n), jetstream.PullThresholdMessages(max(n-max(n/4, 1), 1)),
		jetstream.PullExpiry(pullExpiry), jetstream.PullHeartbeat(pullHeartbeat)}
}

// consume hands the iterator's messages to handlers, one slot each, until
// the iterator is closed (drained on stop, or ended by an error). When
// hard ends while it waits for a slot, it stops the iterator: messages
// still buffered are redelivered after the ack wait.
func (w *Worker) consume(hard context.Context, it jetstream.MessagesContext, inflight *sync.WaitGroup) {
	for {
		select {
		case w.slots <- struct{}{}:
		case <-hard.Done():
			it.Stop()
			return
		}
		msg, err := it.Next()
		if err != nil {
			w.release(1)
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return
			}
			w.fetchFailed(err)
			if w.lost.Load() {
				it.Stop()
				return
			}
			continue
		}
		inflight.Add(1)
		w.pool.Go(func() {
			defer inflight.Done()
			w.settleMsg(hard, msg)
		})
	}
}

// fetchFailed logs a failed pull and notes when the consumer is gone.
func (w *Worker) fetchFailed(err error) {
	if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) {
		w.lost.Store(true)
		w.ready.Store(false)
	}
	w.log.Warn("pull failed", "error", err)
}

// closedErr is Run's error when the connection was closed under it.
func closedErr(fn string) error {
	return fmt.Errorf("workers: function %q: %w: %w", fn, broker.ErrUnavailable, nats.ErrConnectionClosed)
}

// release frees n handler slots.
func (w *Worker) release(n int) {
	for range n {
		<-w.slots
	}
}

// sleep waits for d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
