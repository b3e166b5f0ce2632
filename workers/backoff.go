package workers

import (
	"math"
	"time"
)

// backoff returns the delay before the attempt after failed attempt n
// (n >= 1): delay x 2^(n-1) for the exponential policy, delay x n for the
// linear one, capped at BackoffMax. A delay asked for by the error (see
// Handler) replaces it, still capped. There is no jitter: each event's
// delay starts when its own attempt failed, so retries of a burst are
// spread as the attempts were. d has its defaults applied.
func (d *Delivery) backoff(n uint64, err error) time.Duration {
	if ra, ok := retryAfter(err); ok {
		return min(max(ra, 0), d.BackoffMax)
	}
	n = max(n, 1)
	if d.BackoffPolicy == BackoffLinear {
		if n > uint64(d.BackoffMax/d.BackoffDelay) {
			return d.BackoffMax
		}
		return min(d.BackoffDelay*time.Duration(n), d.BackoffMax)
	}
	delay := d.BackoffDelay
	for i := uint64(1); i < n && delay < d.BackoffMax && delay <= math.MaxInt64/2; i++ {
		delay *= 2
	}
	return min(delay, d.BackoffMax)
}
