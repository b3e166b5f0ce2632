package triggers

import (
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock whose time moves only when a test calls step.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
	added  chan struct{}
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

var _ Clock = (*fakeClock)(nil)

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, added: make(chan struct{}, 1)}
}

// Now implements Clock.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After implements Clock.
func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	if d <= 0 {
		ch <- c.now
		c.mu.Unlock()
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), c: ch})
	c.mu.Unlock()
	select {
	case c.added <- struct{}{}:
	default:
	}
	return ch
}

// waitPending blocks until some goroutine waits on the clock; the clock's
// mutex is held when it returns.
func (c *fakeClock) waitPending(t testing.TB) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		if len(c.timers) > 0 {
			return
		}
		c.mu.Unlock()
		select {
		case <-c.added:
		case <-deadline:
			t.Fatal("fake clock: nobody is waiting")
		}
	}
}

// idle blocks until some goroutine waits on the clock again.
func (c *fakeClock) idle(t testing.TB) {
	t.Helper()
	c.waitPending(t)
	c.mu.Unlock()
}

// step waits until some goroutine waits on the clock, moves the clock to
// the earliest deadline and fires every timer due by then. It returns the
// new time.
func (c *fakeClock) step(t testing.TB) time.Time {
	t.Helper()
	c.waitPending(t)
	defer c.mu.Unlock()
	earliest := c.timers[0].at
	for _, tm := range c.timers[1:] {
		if tm.at.Before(earliest) {
			earliest = tm.at
		}
	}
	if earliest.After(c.now) {
		c.now = earliest
	}
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(c.now) {
			kept = append(kept, tm)
			continue
		}
		tm.c <- c.now
	}
	c.timers = kept
	return c.now
}

// jump moves the clock forward by d at once, as a suspended machine sees
// it on waking, and fires every timer due by then.
func (c *fakeClock) jump(t testing.TB, d time.Duration) {
	t.Helper()
	c.waitPending(t)
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(c.now) {
			kept = append(kept, tm)
			continue
		}
		tm.c <- c.now
	}
	c.timers = kept
}
