package workers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	cesql "github.com/cloudevents/sdk-go/sql/v2"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker"
)

// Ordering handles the events of one key one at a time, in stream order,
// across all replicas; events of different keys run in parallel up to
// Concurrency.
//
// How it holds across replicas: the function's consumer is a JetStream
// priority group with the pinned policy (PriorityPolicyPinned), so the
// server delivers to one replica at a time, the pinned one, in stream
// order. The other replicas are standbys: their pulls wait. That replica
// queues each event behind the earlier events of its key and runs the
// head of every key's queue, at most Concurrency at once. A retry is made
// in place (the event stays in hand, heartbeats keep it, the backoff is
// slept there), so it holds back only its own key.
//
// On a scale change or a crash (kill -9) of the pinned replica the pin
// moves only after the server heard no pull from it for PinnedTTL =
// AckWait + 5s pull expiry + 2s, by which time the events it held are
// due for redelivery. The newly pinned replica gathers before any key
// starts: it waits until every event the consumer delivered without an
// ack is in its hands (ack pending <= events held), then runs each key's
// queue in stream-sequence order. A redelivered event starts a gathering
// too. After a reconnect (a broker restart pins anew) a replica checks
// that it still holds the pin before it starts an event, and hands its
// events back when it does not; a standby pinned after a reconnect first
// waits Timeout + 1s for the handlers the previous receiver may still
// run. So two replicas never handle one key at once, and each key's
// events are first handled in stream order. A graceful stop (drain)
// releases the events still queued.
//
// The attempts of in-place retries are counted in the replica; after a
// crash the count restarts from the server's delivery count.
//
// With Batch, a batch holds at most one event per key (see
// ordering_batch.go); with RateLimit, each start and in-place retry takes a
// token (see runKey).
type Ordering struct {
	// Key is a context attribute or extension name ("subject",
	// "customerid"), or a CloudEvents SQL expression whose value is the key
	// ("CONCAT(source, '/', subject)"). Events without the attribute, or whose
	// expression fails, share the empty key.
	Key string
}

// orderGroup is the priority group of an ordered function's consumer.
const orderGroup = "ordered"

// orderHeld is how many events the pinned replica holds beyond its
// concurrency (waiting behind the earlier events of their key).
const orderHeld = 1000

// attributeName is a CloudEvents attribute name.
var attributeName = regexp.MustCompile(`^[a-z0-9]{1,20}$`)

// orderKeyFunc computes an event's ordering key.
type orderKeyFunc struct {
	attr string
	expr cesql.Expression
}

func compileOrderKey(src string) (orderKeyFunc, error) {
	if attributeName.MatchString(src) {
		return orderKeyFunc{attr: src}, nil
	}
	expr, err := parseCESQL(src)
	if err != nil {
		return orderKeyFunc{}, err
	}
	return orderKeyFunc{expr: expr}, nil
}

// of is e's key; "" when e is nil or has none.
func (k orderKeyFunc) of(e *event.Event) (key string) {
	if e == nil {
		return ""
	}
	if k.expr == nil {
		v, _ := attributeValue(e, k.attr)
		return v
	}
	defer func() {
		if recover() != nil {
			key = ""
		}
	}()
	v, err := k.expr.Evaluate(*e)
	if err != nil || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func (o *Ordering) check(p *problems) {
	if o == nil {
		return
	}
	if o.Key == "" {
		p.add([]PathStep{Key("ordering"), Key("key")}, "required")
		return
	}
	if _, err := compileOrderKey(o.Key); err != nil {
		p.add([]PathStep{Key("ordering"), Key("key")}, "must be an attribute name or a CloudEvents SQL expression: "+err.Error())
	}
}

// pinnedTTL is the consumer's PinnedTTL for an ack wait (see Ordering).
func pinnedTTL(ackWait time.Duration) time.Duration { return ackWait + pullExpiry + 2*time.Second }

// orderedMsg is one event waiting behind its key.
type orderedMsg struct {
	msg     jetstream.Msg
	seq     uint64
	hb      *heartbeat
	attempt uint64 // of an in-place retry of an ordered batch; 0 otherwise
}

// orderer holds the queues of the keys in hand.
type orderer struct {
	key  orderKeyFunc
	held chan struct{} // one token per event in hand
	mu   sync.Mutex
	keys map[string]*keyQueue
	// gathering is set while redelivered events arrive (the pin moved, the
	// broker restarted): no key starts until every event the consumer
	// has delivered without an ack is in this replica's hands, so each
	// key's queue is complete and sorted before it runs.
	gathering bool
	// pin is the pin id the last message came with (Nats-Pin-Id): a new
	// one means this replica was just pinned, and starts a gathering too.
	pin string
	// verified is the connection's reconnect count when this replica last
	// checked it still holds the pin; after a reconnect (a broker
	// restart) it checks again before it starts an event.
	verified   atomic.Uint64
	cons       jetstream.Consumer
	batchState // Batch is set too (see ordering_batch.go)
}

// pinHeader is the header that carries the pin id on the messages of a
// pinned priority group.
const pinHeader = "Nats-Pin-Id"

// setPin records the pin id of a message and reports whether it is new,
// and whether this replica was pinned (received) before it.
func (o *orderer) setPin(pin string) (changed, hadPin bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if pin == o.pin {
		return false, true
	}
	hadPin = o.pin != ""
	o.pin = pin
	return true, hadPin
}

// dropAll releases every queued event (the pin moved: the newly pinned
// replica gets them) and returns how many.
func (o *orderer) dropAll() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, k := range o.keys {
		for _, m := range k.q {
			m.hb.stop()
			_ = m.msg.Nak()
			<-o.held
			n++
		}
		k.q = nil
	}
	o.pin = ""
	return n
}

// keyQueue is the events of one key in hand, sorted by stream sequence.
type keyQueue struct {
	q       []orderedMsg
	running bool // a runner settles them
}

// newOrderer makes the orderer of a replica that handles up to inFlight
// events at once.
func newOrderer(o Ordering, inFlight int) *orderer {
	k, _ := compileOrderKey(o.Key) // Validate compiled it
	return &orderer{key: k, held: make(chan struct{}, inFlight+orderHeld), keys: map[string]*keyQueue{},
		batchState: batchState{notify: make(chan struct{}, 1)}}
}

// push queues m behind its key and reports whether a runner must be
// started for the key.
func (o *orderer) push(key string, m orderedMsg) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := o.keys[key]
	if k == nil {
		k = &keyQueue{}
		o.keys[key] = k
	}
	i, _ := slices.BinarySearchFunc(k.q, m.seq, func(a orderedMsg, s uint64) int { return cmp.Compare(a.seq, s) })
	k.q = slices.Insert(k.q, i, m)
	if k.running || o.gathering {
		return false
	}
	k.running = true
	return true
}

// pop takes the head of key's queue; ok is false when the queue is empty
// (the key is dropped) or a gathering began (the runner stops; the end of
// the gathering starts it again).
func (o *orderer) pop(key string) (orderedMsg, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := o.keys[key]
	if k == nil || len(k.q) == 0 {
		delete(o.keys, key)
		return orderedMsg{}, false
	}
	if o.gathering {
		k.running = false
		return orderedMsg{}, false
	}
	m := k.q[0]
	k.q = k.q[1:]
	return m, true
}

// startGathering reports whether a gathering began now.
func (o *orderer) startGathering() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.gathering {
		return false
	}
	o.gathering = true
	return true
}

// endGathering ends it and returns the keys whose runners must start.
func (o *orderer) endGathering() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.gathering = false
	var start []string
	for key, k := range o.keys {
		if !k.running && len(k.q) > 0 {
			k.running = true
			start = append(start, key)
		}
	}
	return start
}

// orderedConsume is consume for an ordered function: each message is
// queued behind its key, and each key has a runner that settles its
// events one at a time, each with a handler slot. A redelivered message
// starts a gathering (see orderer.gathering).
func (w *Worker) orderedConsume(hard context.Context, cons jetstream.Consumer, it jetstream.MessagesContext, inflight *sync.WaitGroup) {
	o := w.ord
	spawn := func(f func()) {
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			f()
		}()
	}
	o.mu.Lock()
	o.cons = cons
	o.spawn, o.hard, o.w = spawn, hard, w
	o.mu.Unlock()
	run := func(key string) {
		if w.cfg.Batch != nil {
			o.markReady(key) // its head goes into a batch
			return
		}
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			w.runKey(hard, key)
		}()
	}
	for {
		select {
		case o.held <- struct{}{}:
		case <-hard.Done():
			it.Stop()
			return
		}
		msg, err := it.Next()
		if err != nil {
			<-o.held
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
		var seq, delivered uint64
		if md, err := msg.Metadata(); err == nil {
			seq, delivered = md.Sequence.Stream, md.NumDelivered
		}
		var key string
		if e, err := broker.DecodeMsg(msg.Headers(), msg.Data()); err == nil {
			key = o.key.of(e)
		}
		newPin, hadPin := o.setPin(msg.Headers().Get(pinHeader))
		if (delivered > 1 || newPin) && o.startGathering() {
			// A replica that takes over the pin after a reconnect (a broker
			// restart pins anew) waits out the handlers the previous
			// receiver may still be running: it checks the pin only before
			// it starts its next event.
			takeover := !hadPin && w.b.Consumers.Conn().Stats().Reconnects > 0
			inflight.Add(1)
			go func() {
				defer inflight.Done()
				if takeover {
					w.log.Info("ordering: pinned after a reconnect; waiting out the previous receiver's handlers", "wait", w.cfg.Timeout+handlerGrace)
					sleep(hard, w.cfg.Timeout+handlerGrace)
				}
				w.gather(hard, cons)
				for _, key := range o.endGathering() {
					run(key)
				}
			}()
		}
		m := orderedMsg{msg: msg, seq: seq, hb: startHeartbeat(msg, w.cfg.AckWait/2)}
		if o.push(key, m) {
			run(key)
		}
	}
}

// gather waits until every event the consumer delivered without an ack
// is in this replica's hands (the server's ack-pending count is at most
// the events held), or for twice the ack wait at most.
func (w *Worker) gather(ctx context.Context, cons jetstream.Consumer) {
	deadline := time.Now().Add(2*w.cfg.AckWait + pullExpiry)
	for time.Now().Before(deadline) {
		ictx, cancel := context.WithTimeout(ctx, opTimeout)
		info, err := cons.Info(ictx)
		cancel()
		if err == nil && info.NumAckPending <= len(w.ord.held) {
			return
		}
		if !sleep(ctx, 50*time.Millisecond) {
			return
		}
	}
	w.log.Warn("ordering: redelivered events still missing after the gathering time; keys start with what is in hand")
}

// stillPinned reports whether this replica still holds the pin. It asks
// the server only after the connection reconnected since the last check
// (a restarted broker pins anew); otherwise the pin is kept while the
// replica pulls.
func (w *Worker) stillPinned(ctx context.Context) bool {
	o := w.ord
	rc := w.b.Consumers.Conn().Stats().Reconnects
	if rc == o.verified.Load() {
		return true
	}
	o.mu.Lock()
	cons, pin := o.cons, o.pin
	o.mu.Unlock()
	ictx, cancel := context.WithTimeout(ctx, opTimeout)
	info, err := cons.Info(ictx)
	cancel()
	if err != nil {
		return false // cannot tell: hand the events back rather than risk two runners
	}
	for _, g := range info.PriorityGroups {
		if g.Group == orderGroup && g.PinnedClientID == pin {
			o.verified.Store(rc)
			return true
		}
	}
	return false
}

// runKey settles the events of key in order until its queue is empty or
// a gathering stops it. With a rate limit, each event waits for a token of
// the global budget after it got its handler slot and before it starts,
// its heartbeats still running, so an event in hand never outlives its
// ack wait however long the tokens take. When hard ends first, the events
// still queued are released.
func (w *Worker) runKey(hard context.Context, key string) {
	o := w.ord
	for {
		m, ok := o.pop(key)
		if !ok {
			return
		}
		gotSlot := false
		select {
		case w.slots <- struct{}{}:
			gotSlot = true
		case <-hard.Done():
		}
		if gotSlot && w.tokens != nil && w.tokens.get(hard, 1) != nil {
			// Waiting for a token, the event kept its heartbeats; the
			// worker stops or the connection is gone: release it.
			w.release(1)
			gotSlot = false
		}
		m.hb.stop()
		if !gotSlot {
			_ = m.msg.Nak()
			<-o.held
			continue
		}
		if !w.stillPinned(hard) {
			w.release(1)
			_ = m.msg.Nak()
			<-o.held
			n := o.dropAll()
			w.log.Warn("ordering: another replica holds the pin now; released the events in hand", "released", n+1)
			continue
		}
		w.settleMsg(hard, m.msg)
		<-o.held
	}
}

// retryInPlace waits out a retry delay of an ordered function with the
// event in hand: the handler slot is freed meanwhile and taken again
// after it. It reports false when ctx ended first (no slot is held then).
func (w *Worker) retryInPlace(ctx context.Context, delay time.Duration, sl **slot) bool {
	(*sl).done()
	*sl = nil
	if !sleep(ctx, delay) {
		return false
	}
	select {
	case w.slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	if w.tokens != nil && w.tokens.get(ctx, 1) != nil { // a retry is a start too
		w.release(1)
		return false
	}
	*sl = &slot{w: w}
	(*sl).hold()
	return true
}
