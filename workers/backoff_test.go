package workers

import (
	"errors"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/config"
)

type retryAfterErr struct{ d time.Duration }

func (r retryAfterErr) Error() string             { return "busy" }
func (r retryAfterErr) RetryAfter() time.Duration { return r.d }

func TestBackoff(t *testing.T) {
	exp := settings{delay: time.Second, backoffMax: 10 * time.Second}
	lin := settings{delay: time.Second, backoffMax: 3500 * time.Millisecond, linear: true}
	huge := settings{delay: time.Hour, backoffMax: 1<<63 - 1}
	tests := []struct {
		name string
		s    settings
		n    uint64
		err  error
		want time.Duration
	}{
		{"exponential 1", exp, 1, nil, time.Second},
		{"exponential 2", exp, 2, nil, 2 * time.Second},
		{"exponential 3", exp, 3, nil, 4 * time.Second},
		{"exponential 4", exp, 4, nil, 8 * time.Second},
		{"exponential capped", exp, 5, nil, 10 * time.Second},
		{"exponential far", exp, 1 << 40, nil, 10 * time.Second},
		{"exponential zero attempt", exp, 0, nil, time.Second},
		{"exponential no overflow", huge, 200, nil, time.Hour << 21},
		{"linear 1", lin, 1, nil, time.Second},
		{"linear 3", lin, 3, nil, 3 * time.Second},
		{"linear capped", lin, 4, nil, 3500 * time.Millisecond},
		{"linear far", lin, 1 << 62, nil, 3500 * time.Millisecond},
		{"retry after", exp, 3, retryAfterErr{1500 * time.Millisecond}, 1500 * time.Millisecond},
		{"retry after wrapped", exp, 3, errors.Join(errors.New("x"), retryAfterErr{2 * time.Second}), 2 * time.Second},
		{"retry after capped", exp, 1, retryAfterErr{time.Hour}, 10 * time.Second},
		{"retry after negative", exp, 1, retryAfterErr{-time.Second}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.backoff(tt.n, tt.err); got != tt.want {
				t.Errorf("backoff(%d) = %s, want %s", tt.n, got, tt.want)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	neg := -1
	tests := []struct {
		name string
		fn   config.Function
		want string
	}{
		{"no name", config.Function{}, `function "": name: must not be empty`},
		{"concurrency", config.Function{Name: "f", Concurrency: -2}, `function "f": concurrency: must be at least 1, got -2`},
		{"retry", config.Function{Name: "f", Delivery: config.Delivery{Retry: &neg}}, "delivery.retry: must not be negative"},
		{"policy", config.Function{Name: "f", Delivery: config.Delivery{BackoffPolicy: "fibonacci"}}, `delivery.backoffPolicy: must be exponential or linear, got "fibonacci"`},
		{"max below delay", config.Function{Name: "f", Delivery: config.Delivery{BackoffDelay: config.Duration(time.Minute), BackoffMax: config.Duration(time.Second)}}, "delivery.backoffMax: must not be shorter than backoffDelay (1m0s)"},
		{"timeout", config.Function{Name: "f", Timeout: config.Duration(-time.Second)}, "timeout: must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolve(&config.Mesh{}, &tt.fn)
			if !errors.Is(err, ErrInvalidFunction) || !contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrInvalidFunction containing %q", err, tt.want)
			}
		})
	}
}
