package workers

import (
	"runtime"

	"github.com/nats-io/nats.go/jetstream"
)

// acker writes the acknowledgements of the events handled successfully
// from one goroutine, several back to back.
//
// nats.go buffers a publish and wakes its flusher goroutine, which writes
// whatever is buffered. Acks written one by one from the handlers' own
// goroutines arrive slower than a write takes, so nearly every ack became a
// write system call of its own on the client and a read on the broker
// (0.8 to 1 write per event against 0.12 for the same acks from one
// goroutine, see docs/BENCHMARKS.md). The acker takes the acks that are
// ready together, lets the handlers about to finish add theirs, and writes
// them in one burst, which the flusher sends in one or two writes.
//
// An event keeps its handler slot until its ack is written, so the
// messages the worker holds unacknowledged stay within its slots. The ack
// is as unconfirmed as before: a lost one (kill -9 before the buffer is
// written) is redelivered after the ack wait.
type acker struct {
	ch   chan ackReq
	done chan struct{}
}

// ackReq is one event to acknowledge and the slot it frees afterwards.
type ackReq struct {
	msg jetstream.Msg
	sl  *slot
	log eventLog
}

// newAcker starts an acker for a worker of n handler slots.
func newAcker(n int) *acker {
	a := &acker{ch: make(chan ackReq, n), done: make(chan struct{})}
	go a.run(n)
	return a
}

// ack queues msg's ack; it never blocks, the queue holding one entry per
// handler slot.
func (a *acker) ack(msg jetstream.Msg, sl *slot, log eventLog) {
	a.ch <- ackReq{msg: msg, sl: sl, log: log}
}

// close writes the acks still queued and ends the acker; no ack may be
// queued after it.
func (a *acker) close() {
	close(a.ch)
	<-a.done
}

func (a *acker) run(n int) {
	defer close(a.done)
	batch := make([]ackReq, 0, n)
	for first := range a.ch {
		batch = append(batch[:0], first)
		// Handlers that finish at the same moment add theirs first.
		runtime.Gosched()
	gather:
		for len(batch) < n {
			select {
			case r, ok := <-a.ch:
				if !ok {
					break gather
				}
				batch = append(batch, r)
			default:
				break gather
			}
		}
		for i := range batch {
			r := &batch[i]
			if err := r.msg.Ack(); err != nil {
				r.log.get().Warn("ack not sent; the event will be redelivered after the ack wait", "error", err)
			}
			r.sl.done()
			*r = ackReq{}
		}
	}
}
