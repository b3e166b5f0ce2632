package bench

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMaxStartsIn(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(ms ...int) []time.Time {
		out := make([]time.Time, len(ms))
		for i, m := range ms {
			out[i] = t0.Add(time.Duration(m) * time.Millisecond)
		}
		return out
	}
	for _, tc := range []struct {
		ts   []time.Time
		want int
	}{
		{nil, 0},
		{at(0), 1},
		{at(0, 500, 999), 3},
		{at(0, 1000), 1}, // a window is half open: 1 s apart is two windows
		{at(0, 100, 1050, 1090, 1099), 4},
	} {
		if got := maxStartsIn(tc.ts, time.Second); got != tc.want {
			t.Errorf("maxStartsIn(%v) = %d, want %d", tc.ts, got, tc.want)
		}
	}
}

func TestRateLimitSettings(t *testing.T) {
	cfg := Defaults(RateLimit, Config{})
	if cfg.Rate != 200 || cfg.Replicas != 3 || cfg.Duration != 20*time.Second {
		t.Errorf("defaults %+v, want rate 200, 3 replicas, 20s", cfg)
	}
	err := Validate(RateLimit, Defaults(RateLimit, Config{Duration: 5 * time.Second}))
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "--duration") {
		t.Errorf("5s: %v, want an error naming --duration", err)
	}
}
