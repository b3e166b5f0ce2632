package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/config"
)

// Timing of the consume loop.
const (
	// DefaultShutdownTimeout bounds the drain when Options.ShutdownTimeout is zero.
	DefaultShutdownTimeout = 30 * time.Second
	// pullExpiry is how long one pull request waits at the server for
	// messages. Short, so a stop or a lost request never idles long; an idle
	// replica sends one pull per expiry.
	pullExpiry = time.Second
	// maxPulls bounds the pull requests one replica has outstanding, so many
	// replicas stay well below the server's MaxWaiting (512 by default).
	maxPulls = 4
	// batchWait is how long a busy replica waits for more free slots
	// before it pulls (see gather).
	batchWait = 2 * time.Millisecond
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
	c        *broker.Client
	dl       *broker.DeadLetterQueue
	m        *config.Mesh
	fn       config.Function
	s        settings
	filter   Filter
	h        Handler
	log      *slog.Logger
	replica  string
	shutdown time.Duration
	hooks    Hooks

	slots   chan struct{} // one token per event in flight
	started atomic.Bool
	ready   atomic.Bool
	lost    atomic.Bool // the consumer vanished; re-create it
}

// New prepares a worker for function fn of mesh m. It validates the
// function's consume settings and compiles its filters; errors wrap
// ErrInvalidFunction or ErrInvalidFilter. Nothing touches the broker before
// Run.
func New(c *broker.Client, m *config.Mesh, fn *config.Function, h Handler, o Options) (*Worker, error) {
	switch {
	case c == nil:
		return nil, fmt.Errorf("workers: broker client is nil: %w", ErrInvalidFunction)
	case m == nil:
		return nil, fmt.Errorf("workers: mesh is nil: %w", ErrInvalidFunction)
	case fn == nil:
		return nil, fmt.Errorf("workers: function is nil: %w", ErrInvalidFunction)
	case h == nil:
		return nil, fmt.Errorf("workers: function %q: handler is nil: %w", fn.Name, ErrInvalidFunction)
	}
	s, err := resolve(m, fn)
	if err != nil {
		return nil, err
	}
	filter, err := CompileFilters(fn.Filters)
	if err != nil {
		return nil, fmt.Errorf("workers: function %q: %w", fn.Name, err)
	}
	dl, err := broker.NewDeadLetterQueue(c, broker.DeadLetterConfig{Stream: m.DeadLetter.Stream, SubjectPrefix: m.DeadLetter.SubjectPrefix})
	if err != nil {
		return nil, fmt.Errorf("workers: function %q: %w: %w", fn.Name, ErrInvalidFunction, err)
	}
	w := &Worker{
		c: c, dl: dl, m: m, fn: *fn, s: s, filter: filter, h: h,
		log:      o.Log,
		replica:  o.Replica,
		shutdown: o.ShutdownTimeout,
		hooks:    o.Hooks,
		slots:    make(chan struct{}, s.concurrency),
	}
	if w.replica == "" {
		host, _ := os.Hostname()
		w.replica = host + "-" + strconv.Itoa(os.Getpid())
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With("function", s.fn, "replica", w.replica)
	if w.shutdown <= 0 {
		w.shutdown = DefaultShutdownTimeout
	}
	return w, nil
}

// Ready reports whether the worker's consumer exists and its connection is
// up (the readiness probe).
func (w *Worker) Ready() bool { return w.ready.Load() && w.c.Connected() }

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
	runErr := w.pullLoop(ctx, hard, cons, &inflight)
	w.ready.Store(false)

	done := make(chan struct{})
	go func() { inflight.Wait(); close(done) }()
	timer := time.NewTimer(w.shutdown)
	defer timer.Stop()
	select {
	case <-done:
		w.log.Info("worker drained")
	case <-timer.C:
		w.log.Warn("shutdown timeout: cancelling the handlers still running", "timeout", w.shutdown)
		abort()
		select {
		case <-done:
		case <-time.After(handlerGrace + opTimeout):
			w.log.Error("handlers ignore cancellation; their events will be redelivered after the ack wait")
		}
	}
	// Acks are written without waiting for the server: push them out before
	// the caller closes the connection.
	if err := w.c.Conn().FlushTimeout(opTimeout); err != nil && !w.c.Conn().IsClosed() {
		w.log.Warn("flushing acks on drain; unflushed events will be redelivered after the ack wait", "error", err)
	}
	return runErr
}

// ensure creates or updates the durable consumer, retrying until it
// succeeds or ctx ends.
func (w *Worker) ensure(ctx context.Context) (jetstream.Consumer, error) {
	cfg := ConsumerConfig(w.m, &w.fn)
	wait := 250 * time.Millisecond
	for {
		cons, err := w.c.EnsureConsumer(ctx, w.s.stream, cfg)
		if err == nil {
			w.ready.Store(true)
			w.lost.Store(false)
			w.log.Info("consuming", "stream", w.s.stream, "consumer", cfg.Durable, "filter_subjects", cfg.FilterSubjects,
				"concurrency", w.s.concurrency)
			return cons, nil
		}
		w.ready.Store(false)
		w.log.Warn("cannot create the consumer; retrying", "stream", w.s.stream, "error", err, "retry_in", wait)
		if !sleep(ctx, wait) {
			return nil, ctx.Err()
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// pullLoop requests messages for free handler slots until ctx ends. Each
// pull asks for at most as many messages as there are free slots, so no
// message waits unacknowledged in the client; up to maxPulls pulls are
// outstanding at once so a slot freed while a pull waits is used at once.
func (w *Worker) pullLoop(ctx, hard context.Context, cons jetstream.Consumer, inflight *sync.WaitGroup) error {
	pulls := make(chan struct{}, maxPulls)
	wait := 100 * time.Millisecond
	for {
		select {
		case pulls <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			<-pulls
			return nil
		}
		n := w.gather(ctx, len(pulls) > 1)
		if w.lost.Load() {
			c, err := w.ensure(ctx)
			if err != nil {
				w.release(n)
				<-pulls
				return nil
			}
			cons = c
		}
		batch, err := cons.Fetch(n, jetstream.FetchMaxWait(pullExpiry))
		if err != nil {
			w.release(n)
			<-pulls
			if w.c.Conn().IsClosed() {
				return fmt.Errorf("workers: function %q: %w: %w", w.s.fn, broker.ErrUnavailable, nats.ErrConnectionClosed)
			}
			w.fetchFailed(err)
			if !sleep(ctx, wait) {
				return nil
			}
			wait = min(2*wait, 2*time.Second)
			continue
		}
		wait = 100 * time.Millisecond
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			defer func() { <-pulls }()
			w.takeBatch(hard, batch, n, inflight)
		}()
	}
}

// takeBatch starts a handler for each message of a pull (each holds one of
// the n slots reserved for the pull) and frees the slots left unused.
func (w *Worker) takeBatch(hard context.Context, batch jetstream.MessageBatch, n int, inflight *sync.WaitGroup) {
	used := 0
	for msg := range batch.Messages() {
		if used == n { // cannot happen: the server sends at most n
			_ = msg.Nak()
			continue
		}
		used++
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			w.process(hard, msg)
		}()
	}
	w.release(n - used)
	if err := batch.Error(); err != nil {
		w.fetchFailed(err)
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

// gather reserves more free slots for a pull that already holds one and
// returns how many it holds. While other pulls are outstanding (busy), it
// waits up to batchWait for half of the slots to be free, so a busy
// replica pulls in batches instead of one message per freed slot; an idle
// replica pulls at once, so a lone event is not delayed.
func (w *Worker) gather(ctx context.Context, busy bool) int {
	n := 1
	for n < w.s.concurrency {
		select {
		case w.slots <- struct{}{}:
			n++
			continue
		default:
		}
		break
	}
	if !busy || n >= (w.s.concurrency+1)/2 {
		return n
	}
	timer := time.NewTimer(batchWait)
	defer timer.Stop()
	for n < (w.s.concurrency+1)/2 {
		select {
		case w.slots <- struct{}{}:
			n++
		case <-timer.C:
			return n
		case <-ctx.Done():
			return n
		}
	}
	return n
}
