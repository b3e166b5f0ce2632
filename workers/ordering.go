package workers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
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
// due for redelivery; the server redelivers them before newer events, to
// the newly pinned replica, which queues by stream sequence. So two
// replicas never handle one key at once, and a key's events keep their
// order unless an event is redelivered after a later one of its key
// already started (which the pin timing is there to prevent). A graceful
// stop (drain) releases the events still queued.
//
// The attempts of in-place retries are counted in the replica; after a
// crash the count restarts from the server's delivery count.
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
	msg jetstream.Msg
	seq uint64
	hb  *heartbeat
}

// orderer holds the queues of the keys in hand.
type orderer struct {
	key  orderKeyFunc
	held chan struct{} // one token per event in hand
	mu   sync.Mutex
	keys map[string][]orderedMsg // sorted by stream sequence
}

func newOrderer(o Ordering, concurrency int) *orderer {
	k, _ := compileOrderKey(o.Key) // Validate compiled it
	return &orderer{key: k, held: make(chan struct{}, concurrency+orderHeld), keys: map[string][]orderedMsg{}}
}

// push queues m behind its key and reports whether the key was idle (its
// runner must be started).
func (o *orderer) push(key string, m orderedMsg) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	q, busy := o.keys[key]
	i, _ := slices.BinarySearchFunc(q, m.seq, func(a orderedMsg, s uint64) int { return cmp.Compare(a.seq, s) })
	o.keys[key] = slices.Insert(q, i, m)
	return !busy
}

// pop takes the head of key's queue; ok is false (and the key is dropped)
// when the queue is empty.
func (o *orderer) pop(key string) (orderedMsg, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	q := o.keys[key]
	if len(q) == 0 {
		delete(o.keys, key)
		return orderedMsg{}, false
	}
	m := q[0]
	o.keys[key] = q[1:]
	return m, true
}

// orderedConsume is consume for an ordered function: each message is
// queued behind its key, and each key has a runner that settles its
// events one at a time, each with a handler slot.
func (w *Worker) orderedConsume(hard context.Context, it jetstream.MessagesContext, inflight *sync.WaitGroup) {
	o := w.ord
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
		var seq uint64
		if md, err := msg.Metadata(); err == nil {
			seq = md.Sequence.Stream
		}
		var key string
		if e, err := broker.DecodeMsg(msg.Headers(), msg.Data()); err == nil {
			key = o.key.of(e)
		}
		m := orderedMsg{msg: msg, seq: seq, hb: startHeartbeat(msg, w.cfg.AckWait/2)}
		if o.push(key, m) {
			inflight.Add(1)
			go func() {
				defer inflight.Done()
				w.runKey(hard, key)
			}()
		}
	}
}

// runKey settles the events of key in order until its queue is empty.
// When hard ends first, the events still queued are released.
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
		m.hb.stop()
		if !gotSlot {
			_ = m.msg.Nak()
			<-o.held
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
	*sl = &slot{w: w}
	(*sl).hold()
	return true
}
