package workers

import (
	"math"
	"time"
)

// backoff returns the delay before the attempt after failed attempt n
// (n >= 1): delay x 2^(n-1) for the exponential policy, delay x n for the
// linear one, capped at backoffMax. A delay asked for by the error (see
// Handler) replaces it, still capped. There is no jitter: each event's
// delay starts when its own attempt failed, so retries of a burst are
// spread as the attempts were.
func (s *settings) backoff(n uint64, err error) time.Duration {
	if d, ok := retryAfter(err); ok {
		return min(max(d, 0), s.backoffMax)
	}
	n = max(n, 1)
	if s.linear {
		if n > uint64(s.backoffMax/s.delay) {
			return s.backoffMax
		}
		return min(s.delay*time.Duration(n), s.backoffMax)
	}
	d := s.delay
	for i := uint64(1); i < n && d < s.backoffMax && d <= math.MaxInt64/2; i++ {
		d *= 2
	}
	return min(d, s.backoffMax)
}
