package bench

import (
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	tests := []struct {
		name string
		in   []time.Duration
		want percentiles
	}{
		{name: "empty", want: percentiles{}},
		{name: "one", in: []time.Duration{2 * time.Millisecond}, want: percentiles{2, 2, 2, 2}},
		{name: "1..100 ms, shuffled", in: shuffled(100), want: percentiles{50, 90, 99, 100}},
		{name: "1..10 ms", in: shuffled(10), want: percentiles{5, 9, 10, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s samples
			s.merge(tt.in)
			if got := s.percentiles(); got != tt.want {
				t.Errorf("percentiles = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// shuffled is 1..n milliseconds in a fixed scrambled order.
func shuffled(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration((i*37)%n+1) * time.Millisecond
	}
	return out
}

func TestPerSecondAndRatio(t *testing.T) {
	if got := perSecond(500, 250*time.Millisecond); got != 2000 {
		t.Errorf("perSecond = %v, want 2000", got)
	}
	if got := perSecond(5, 0); got != 0 {
		t.Errorf("perSecond over nothing = %v, want 0", got)
	}
	if got := ratio(1, 3); got != 0.333 {
		t.Errorf("ratio(1, 3) = %v, want 0.333", got)
	}
	if got := ratio(1, 0); got != 0 {
		t.Errorf("ratio(1, 0) = %v, want 0", got)
	}
}
