package functions

import (
	"errors"
	"time"
)

// PermanentError marks an error after which retrying the event is pointless
// (malformed data, a rejected request): the event is dead-lettered at once.
type PermanentError struct {
	// Err is the cause.
	Err error
}

// Error returns the cause's message.
func (e *PermanentError) Error() string {
	if e.Err == nil {
		return "permanent error"
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent reports true: the worker dead-letters the event without retrying.
func (e *PermanentError) Permanent() bool { return true }

// Permanent marks err as permanent: the worker dead-letters the event instead
// of retrying it. Permanent(nil) is nil. errors.Is and errors.As see through
// the wrapper.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err, or any error it wraps, has a
// Permanent() bool method that returns true.
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// RetryAfterError asks for the event to be retried after Delay instead of
// after the function's backoff delay.
type RetryAfterError struct {
	// Err is the cause.
	Err error
	// Delay before the next attempt.
	Delay time.Duration
}

// Error returns the cause's message.
func (e *RetryAfterError) Error() string {
	if e.Err == nil {
		return "retry after " + e.Delay.String()
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns the delay before the next attempt.
func (e *RetryAfterError) RetryAfter() time.Duration { return e.Delay }

// RetryAfter asks for the event to be retried after d (capped by the
// function's delivery.backoffMax) rather than after the backoff delay. A
// negative d counts as zero. RetryAfter(nil, d) is nil; wrapping a permanent
// error keeps it permanent.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &RetryAfterError{Err: err, Delay: max(d, 0)}
}

// retryDelay reports the delay an error asks for, if any.
func retryDelay(err error) (time.Duration, bool) {
	var r interface{ RetryAfter() time.Duration }
	if errors.As(err, &r) {
		return r.RetryAfter(), true
	}
	return 0, false
}
