package workers

import (
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// resumePoint tracks where a re-created consumer starts, so that a
// consumer deleted under a running worker (by an operator, a stream
// re-created with its consumers, a server that lost its state) loses no
// event stored meanwhile, whatever the function's startFrom says: startFrom
// applies to a function seen for the first time, not to one that was
// consuming a moment ago.
//
// The start is the lowest stream sequence this replica holds unsettled;
// else one past the highest it settled; else one past the ack floor the
// consumer had when the worker created or found it. Events from there on
// that another replica already handled are delivered again (at least
// once); none is skipped.
type resumePoint struct {
	mu       sync.Mutex
	floor    uint64            // AckFloor.Stream+1 when the consumer was last ensured
	high     uint64            // highest stream sequence settled by this replica
	inflight map[uint64]uint32 // stream sequences in hand, with their count
}

// ensured records the consumer's ack floor after it was created or found.
func (r *resumePoint) ensured(info *jetstream.ConsumerInfo) {
	if info == nil {
		return
	}
	r.mu.Lock()
	r.floor = info.AckFloor.Stream + 1
	r.mu.Unlock()
}

// begin notes that the event at stream sequence seq is in hand.
func (r *resumePoint) begin(seq uint64) {
	r.mu.Lock()
	if r.inflight == nil {
		r.inflight = make(map[uint64]uint32)
	}
	r.inflight[seq]++
	r.mu.Unlock()
}

// end notes that the event at seq was settled (acked, nak'd or
// dead-lettered).
func (r *resumePoint) end(seq uint64) {
	r.mu.Lock()
	if n := r.inflight[seq]; n <= 1 {
		delete(r.inflight, seq)
	} else {
		r.inflight[seq] = n - 1
	}
	r.high = max(r.high, seq)
	r.mu.Unlock()
}

// start returns the stream sequence a re-created consumer starts at, and
// false when nothing is known yet (the configured policy applies).
func (r *resumePoint) start() (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.inflight) > 0 {
		low := uint64(0)
		for seq := range r.inflight {
			if low == 0 || seq < low {
				low = seq
			}
		}
		return low, true
	}
	if r.high > 0 {
		return max(r.high+1, 1), true
	}
	return r.floor, r.floor > 0
}
