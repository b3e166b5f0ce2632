package bench

import (
	"slices"
	"sync"
	"time"
)

// samples collects durations from many goroutines.
type samples struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *samples) add(d time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

// merge adds a batch collected by one goroutine.
func (s *samples) merge(ds []time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, ds...)
	s.mu.Unlock()
}

// percentiles of the collected durations, in milliseconds.
type percentiles struct {
	p50, p90, p99, max float64
}

// percentiles sorts the samples and reads the nearest-rank percentiles.
func (s *samples) percentiles() percentiles {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.d) == 0 {
		return percentiles{}
	}
	slices.Sort(s.d)
	return percentiles{
		p50: ms(rank(s.d, 0.50)),
		p90: ms(rank(s.d, 0.90)),
		p99: ms(rank(s.d, 0.99)),
		max: ms(s.d[len(s.d)-1]),
	}
}

// rank is the nearest-rank percentile q (0 < q <= 1) of sorted ds.
func rank(ds []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(ds))+0.999999) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// perSecond is n over d, or 0 for an empty d.
func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
