package triggers

import "time"

// Clock tells the time and waits. Cron triggers take one so that tests can
// drive them with a fake clock; nil means the system clock.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After delivers the time on the returned channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

// systemClock is the Clock of the running system.
type systemClock struct{}

// Now implements Clock.
func (systemClock) Now() time.Time { return time.Now() }

// After implements Clock.
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
