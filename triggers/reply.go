package triggers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/cebind"
)

// CausationIDExtension is the extension attribute an event returned by a
// function carries: the id of the event it answers. Reply routes match
// answers on it.
const CausationIDExtension = cebind.CausationID

// ErrWaiterClosed is returned by ReplyWaiter.Wait after Close.
var ErrWaiterClosed = errors.New("reply waiter closed")

// ReplyWaiter hands out the answers to events: every event published on
// "<prefix>.>" whose causationid extension names a registered id is
// delivered to the waiters of that id. It is shared by all reply routes of
// a process and safe for concurrent use.
//
// It holds one core NATS subscription on "<prefix>.>", opened on the first
// Wait (so a process without reply routes does not receive every event) and
// kept until Close. Events stored by JetStream are also delivered to core
// subscribers of their subject, so no consumer is needed. Messages are
// matched on their ce-causationid header; only the matching ones are
// decoded.
type ReplyWaiter struct {
	nc          *nats.Conn
	subject     string
	deadLetters string // "" when dead letters are not watched
	log         *slog.Logger

	mu      sync.Mutex
	sub     *nats.Subscription
	dlSub   *nats.Subscription
	closed  bool
	waiters map[string]map[*Waiter]struct{}
}

// Waiter receives the answer to one event, or word that it was
// dead-lettered. Stop it when done.
type Waiter struct {
	rw     *ReplyWaiter
	id     string
	source string
	c      chan *event.Event
	failed chan Failure
}

// NewReplyWaiter returns a waiter for answers published on
// "<SubjectPrefix>.>" and dead letters on "<DeadLetterPrefix>.>" through
// nc. Options: WithLogger.
func NewReplyWaiter(nc *nats.Conn, cfg ReplyConfig, opts ...Option) (*ReplyWaiter, error) {
	if nc == nil {
		return nil, errors.New("triggers: reply waiter: nil connection")
	}
	cfg = cfg.withDefaults()
	rw := &ReplyWaiter{
		nc:      nc,
		subject: cfg.SubjectPrefix + ".>",
		log:     applyOptions(opts).log.With("component", "reply-waiter"),
		waiters: map[string]map[*Waiter]struct{}{},
	}
	if cfg.DeadLetterPrefix != "" {
		rw.deadLetters = cfg.DeadLetterPrefix + ".>"
	}
	return rw, nil
}

// Wait registers interest in the answer to the event with the given id
// and source. Call it before publishing that event, so a fast answer is
// not missed. The first call opens the subscriptions and waits (bounded by
// ctx) until the server has them. Errors wrap ErrWaiterClosed or
// broker.ErrUnavailable.
func (rw *ReplyWaiter) Wait(ctx context.Context, id, source string) (*Waiter, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.closed {
		return nil, ErrWaiterClosed
	}
	if rw.sub == nil {
		if err := rw.subscribe(ctx); err != nil {
			return nil, err
		}
	}
	w := &Waiter{rw: rw, id: id, source: source, c: make(chan *event.Event, 1), failed: make(chan Failure, 1)}
	set := rw.waiters[id]
	if set == nil {
		set = map[*Waiter]struct{}{}
		rw.waiters[id] = set
	}
	set[w] = struct{}{}
	return w, nil
}

// subscribe opens the subscription; rw.mu is held.
func (rw *ReplyWaiter) subscribe(ctx context.Context) error {
	sub, err := rw.nc.Subscribe(rw.subject, rw.onMsg)
	if err != nil {
		return fmt.Errorf("triggers: reply subscription on %s: %w: %w", rw.subject, broker.ErrUnavailable, err)
	}
	if err := rw.subscribeDeadLetters(); err != nil {
		_ = sub.Unsubscribe()
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, broker.DefaultTimeout)
		defer cancel()
	}
	if err := rw.nc.FlushWithContext(ctx); err != nil {
		_ = sub.Unsubscribe()
		rw.unsubscribeDeadLetters()
		return fmt.Errorf("triggers: reply subscription on %s: %w: %w", rw.subject, broker.ErrUnavailable, err)
	}
	rw.sub = sub
	rw.log.Debug("reply subscription open", "subject", rw.subject)
	return nil
}

// onMsg delivers a message whose ce-causationid names a waiting id.
func (rw *ReplyWaiter) onMsg(m *nats.Msg) {
	id, ok := cebind.ExtensionHeader(m.Header, CausationIDExtension)
	if !ok {
		return
	}
	rw.mu.Lock()
	set := rw.waiters[id]
	targets := make([]*Waiter, 0, len(set))
	for w := range set {
		targets = append(targets, w)
	}
	rw.mu.Unlock()
	if len(targets) == 0 {
		return
	}
	e, err := broker.DecodeMsg(m.Header, m.Data)
	if err != nil {
		rw.log.Warn("answer event cannot be decoded", "causationid", id, "subject", m.Subject, "error", err)
		return
	}
	for _, w := range targets {
		select {
		case w.c <- e: // the first answer wins
		default:
		}
	}
}

// C delivers the answer; it receives at most one event and is never closed.
func (w *Waiter) C() <-chan *event.Event { return w.c }

// Stop removes the waiter. It is safe to call more than once.
func (w *Waiter) Stop() {
	rw := w.rw
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if set := rw.waiters[w.id]; set != nil {
		delete(set, w)
		if len(set) == 0 {
			delete(rw.waiters, w.id)
		}
	}
}

// Close ends the subscription. Waiters still registered receive nothing
// more. It is safe to call more than once.
func (rw *ReplyWaiter) Close() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.closed {
		return nil
	}
	rw.closed = true
	rw.unsubscribeDeadLetters()
	if rw.sub == nil {
		return nil
	}
	if err := rw.sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("triggers: reply subscription: %w", err)
	}
	return nil
}

// replyTimeoutBody is the 504 answer of a reply route.
type replyTimeoutBody struct {
	Error  string `json:"error"`
	ID     string `json:"id"`
	Stored bool   `json:"stored"`
}

// replyTimeoutMessage explains a 504: the request is not lost.
func replyTimeoutMessage(d time.Duration) string {
	return fmt.Sprintf("no answer within %s; the event is stored and will still be processed", d)
}
