package scale

import (
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/workers"
)

// Waker is implemented by a BacklogSource that can say when an event
// arrives for a function that runs no replica, so that the Scaler polls at
// once rather than at its next tick: the first event after a quiet spell
// then waits for a replica to start, not for a polling interval as well.
type Waker interface {
	// Arm calls wake once, at the first event for fn published from now
	// on; stop disarms it (it may be called more than once, and after
	// wake). An Arm that cannot watch fn returns a nil stop and no error:
	// the ticks alone then find the event.
	Arm(fn string, wake func()) (stop func(), err error)
}

// Subscriber is the core NATS subscription a BrokerBacklog wakes the
// Scaler with; *nats.Conn is one.
type Subscriber interface {
	Subscribe(subject string, cb nats.MsgHandler) (*nats.Subscription, error)
}

// WakeOn makes b a Waker: a function at zero replicas is watched with a
// core subscription on its consumer's filter subjects that ends at the
// first event, so an idle mesh receives nothing and a busy one pays one
// message per return to zero. It returns b.
func (b *BrokerBacklog) WakeOn(sub Subscriber) *BrokerBacklog {
	b.sub = sub
	return b
}

var _ Waker = (*BrokerBacklog)(nil)

// Arm subscribes to fn's filter subjects until the first event.
func (b *BrokerBacklog) Arm(fn string, wake func()) (func(), error) {
	if b.sub == nil {
		return nil, nil
	}
	f, err := b.lookup(fn)
	if err != nil {
		return nil, err
	}
	cc := workers.ConsumerConfig(f)
	subjects := cc.FilterSubjects
	if cc.FilterSubject != "" {
		subjects = append(subjects, cc.FilterSubject)
	}
	if len(subjects) == 0 {
		return nil, nil // the whole stream: its subjects are the server's to know
	}
	var (
		mu   sync.Mutex
		subs []*nats.Subscription
		once sync.Once
	)
	stop := func() {
		once.Do(func() {
			mu.Lock()
			defer mu.Unlock()
			for _, s := range subs {
				_ = s.Unsubscribe()
			}
		})
	}
	fire := func(*nats.Msg) {
		go stop() // not from the subscription's own callback
		wake()
	}
	for _, subj := range subjects {
		s, err := b.sub.Subscribe(subj, fire)
		if err != nil {
			stop()
			return nil, err
		}
		mu.Lock()
		subs = append(subs, s)
		mu.Unlock()
	}
	return stop, nil
}
