package workers

import (
	"context"
	"time"
)

// Ordered batches (Ordering with Batch): a batch holds at most one event
// per key, the head of each key's queue whose previous event is settled,
// so a key still runs one event at a time in stream order. Several events
// of one key in a batch could not be retried in order: when the first
// failed, the later ones would have been handled already. A failed event
// is retried in place: it stays in hand at the head of its key (its
// heartbeats running), its key waits for the backoff, then the event goes
// into a later batch; the other keys go on. Everything else (the pinned
// receiving replica, gatherings, pin checks) is as for Ordering. With
// RateLimit too, each event takes a token as it is put into a batch (its
// heartbeats running while it waits), and a batch waits for tokens only
// until its MaxWait.
//
// Keys whose head may start are "ready"; one collector goroutine at a time
// (orderedBatches) takes the heads of ready keys into batches of up to
// MaxEvents, closed MaxWait after their first event, and exits when no key
// is ready.

// orderedItem is an event of an ordered batch: its key and its place in
// the orderer. Its methods accept a nil receiver (an unordered batch).
type orderedItem struct {
	w       *Worker
	key     string
	m       orderedMsg
	attempt uint64 // the attempt to make; 0: the delivery count
	retried bool   // retryIn kept it for a later batch
}

// settled tells the orderer that the event is settled (acked, dead-lettered,
// released): its key's next event may start.
func (it *orderedItem) settled() {
	if it == nil {
		return
	}
	o := it.w.ord
	<-o.held
	if o.next(it.key) {
		o.markReady(it.key)
	}
}

// retrying reports whether the event was kept for an in-place retry.
func (it *orderedItem) retrying() bool { return it != nil && it.retried }

// retryIn keeps the event at the head of its key for attempt, after delay.
func (it *orderedItem) retryIn(delay time.Duration, attempt uint64) {
	it.retried = true
	w, o := it.w, it.w.ord
	m := it.m
	m.attempt = attempt
	m.hb = startHeartbeat(m.msg, w.cfg.AckWait/2)
	o.requeue(it.key, m)
	o.mu.Lock()
	spawn, hard := o.spawn, o.hard
	o.mu.Unlock()
	spawn(func() {
		sleep(hard, delay) // when hard ends first, the collector releases it
		o.markReady(it.key)
	})
}

// batchState is the orderer's state for ordered batches.
type batchState struct {
	ready      []string      // keys whose head may start, in the order they became ready
	notify     chan struct{} // a key became ready
	collecting bool          // a collector runs
	// spawn runs f in a goroutine counted in the worker's in-flight
	// group; hard is the worker's hard context. Set by orderedConsume.
	spawn func(f func())
	hard  context.Context
	w     *Worker
}

// markReady lists key as ready and starts a collector when none runs.
func (o *orderer) markReady(key string) {
	o.mu.Lock()
	o.ready = append(o.ready, key)
	start := !o.collecting
	o.collecting = true
	spawn := o.spawn
	o.mu.Unlock()
	select {
	case o.notify <- struct{}{}:
	default:
	}
	if start {
		spawn(func() { o.w.orderedBatches() })
	}
}

// takeReady takes the next ready key's head; ok is false when no key is
// ready. When none is and stop is set, the collector is marked stopped in
// the same lock (a key made ready later starts a new one).
func (o *orderer) takeReady(stop bool) (key string, m orderedMsg, ok bool) {
	for {
		o.mu.Lock()
		if len(o.ready) == 0 {
			if stop {
				o.collecting = false
			}
			o.mu.Unlock()
			return "", orderedMsg{}, false
		}
		key = o.ready[0]
		o.ready = o.ready[1:]
		o.mu.Unlock()
		if m, ok := o.pop(key); ok {
			return key, m, true
		}
		// Its queue emptied (the pin moved) or a gathering began: the end
		// of the gathering makes it ready again.
	}
}

// next reports whether key's next event may start now that its head is
// settled; when its queue is empty the key is dropped, and during a
// gathering it waits for the end of the gathering.
func (o *orderer) next(key string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := o.keys[key]
	if k == nil {
		return false
	}
	if len(k.q) == 0 {
		delete(o.keys, key)
		return false
	}
	if o.gathering {
		k.running = false
		return false
	}
	return true
}

// requeue puts m back at the head of key's queue (an in-place retry).
func (o *orderer) requeue(key string, m orderedMsg) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := o.keys[key]
	if k == nil {
		k = &keyQueue{running: true}
		o.keys[key] = k
	}
	k.q = append([]orderedMsg{m}, k.q...)
}

// orderedBatches collects and dispatches ordered batches while keys are
// ready (see the comment at the top of this file). Each batch holds a
// handler slot; before it starts, the replica checks that it still holds
// the pin.
func (w *Worker) orderedBatches() {
	o, b := w.ord, w.cfg.Batch
	bh := w.h.(BatchHandler) // New checked it
	o.mu.Lock()
	hard, spawn := o.hard, o.spawn
	o.mu.Unlock()
	for {
		select {
		case w.slots <- struct{}{}:
		case <-hard.Done():
			// Stopping: release what is ready; keys made ready later
			// (running batches, retries) come back here.
			for {
				key, m, ok := o.takeReady(true)
				if !ok {
					return
				}
				w.orderedItemOf(key, m).release()
			}
		}
		var msgs []batchMsg
		var deadline *time.Timer
		var closeAt time.Time
		for len(msgs) < b.MaxEvents {
			key, m, ok := o.takeReady(len(msgs) == 0)
			if ok && w.tokens != nil && !w.orderedToken(hard, closeAt, min(b.MaxEvents-len(msgs), o.readyCount()+1)) {
				// No token before the batch's deadline (or stopping): the
				// event goes back to the head of its key, its heartbeats
				// still running.
				o.putBack(key, m)
				if len(msgs) == 0 && hard.Err() == nil {
					sleep(hard, 100*time.Millisecond) // the connection is closed: Run is ending
				}
				break
			}
			if ok {
				it := w.orderedItemOf(key, m)
				msgs = append(msgs, batchMsg{msg: m.msg, hb: m.hb, ord: it})
				if deadline == nil {
					deadline, closeAt = time.NewTimer(b.MaxWait), time.Now().Add(b.MaxWait)
				}
				continue
			}
			if len(msgs) == 0 {
				w.release(1)
				return // the collector stopped: no key is ready
			}
			select {
			case <-o.notify:
				continue
			case <-deadline.C:
			case <-hard.Done():
			}
			break
		}
		if deadline != nil {
			deadline.Stop()
		}
		if hard.Err() != nil || !w.stillPinned(hard) {
			w.release(1)
			if hard.Err() == nil {
				n := o.dropAll()
				w.log.Warn("ordering: another replica holds the pin now; released the events in hand", "released", n+len(msgs))
			}
			for _, bm := range msgs {
				bm.ord.release()
			}
			continue
		}
		spawn(func() {
			defer w.release(1)
			w.settleBatch(hard, bh, msgs)
		})
	}
}

// orderedToken takes a token of the rate limit for the next event of an
// ordered batch, waiting until closeAt at most (when set); it asks the
// budget for want at once (the events that could join the batch). It
// reports whether it got one.
func (w *Worker) orderedToken(hard context.Context, closeAt time.Time, want int) bool {
	ctx, cancel := hard, context.CancelFunc(func() {})
	if !closeAt.IsZero() {
		ctx, cancel = context.WithDeadline(hard, closeAt)
	}
	defer cancel()
	return w.tokens.get(ctx, want) == nil
}

// readyCount is the number of keys whose head may start.
func (o *orderer) readyCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.ready)
}

// putBack returns m, just taken by takeReady, to the head of its key and
// the key to the head of the ready keys.
func (o *orderer) putBack(key string, m orderedMsg) {
	o.requeue(key, m)
	o.mu.Lock()
	o.ready = append([]string{key}, o.ready...)
	o.mu.Unlock()
}

// orderedItemOf makes the ordered batch item of m.
func (w *Worker) orderedItemOf(key string, m orderedMsg) *orderedItem {
	return &orderedItem{w: w, key: key, m: m, attempt: m.attempt}
}

// release hands the event back to the server (NAK) without handling it,
// and settles it in the orderer.
func (it *orderedItem) release() {
	it.m.hb.stop()
	_ = it.m.msg.Nak()
	it.settled()
}
