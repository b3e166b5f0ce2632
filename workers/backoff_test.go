package workers

import (
	"errors"
	"testing"
	"time"
)

type retryAfterErr struct{ d time.Duration }

func (r retryAfterErr) Error() string             { return "busy" }
func (r retryAfterErr) RetryAfter() time.Duration { return r.d }

func TestBackoff(t *testing.T) {
	exp := Delivery{BackoffPolicy: BackoffExponential, BackoffDelay: time.Second, BackoffMax: 10 * time.Second}
	lin := Delivery{BackoffPolicy: BackoffLinear, BackoffDelay: time.Second, BackoffMax: 3500 * time.Millisecond}
	huge := Delivery{BackoffPolicy: BackoffExponential, BackoffDelay: time.Hour, BackoffMax: 1<<63 - 1}
	tests := []struct {
		name string
		s    Delivery
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

func TestConfigValidateErrors(t *testing.T) {
	base := func(mod func(*Config)) Config {
		c := Config{Function: "f", Stream: "EVENTS"}
		mod(&c)
		return c.WithDefaults()
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no name", base(func(c *Config) { c.Function = "" }), `function "": function: required`},
		{"no stream", base(func(c *Config) { c.Stream = "" }), `function "f": stream: required`},
		{"concurrency", base(func(c *Config) { c.Concurrency = -2 }), `function "f": concurrency: must be between 1 and 10000`},
		{"retry", base(func(c *Config) { c.Delivery.Retry = new(-1) }), "delivery.retry: must be between 0 and 100"},
		{"policy", base(func(c *Config) { c.Delivery.BackoffPolicy = "fibonacci" }), `delivery.backoffPolicy: must be one of exponential, linear`},
		{"max below delay", base(func(c *Config) { c.Delivery.BackoffDelay, c.Delivery.BackoffMax = time.Minute, time.Second }), "delivery.backoffMax: must not be shorter than backoffDelay (1m0s)"},
		{"timeout", base(func(c *Config) { c.Timeout = -time.Second }), "timeout: must be positive"},
		{"filter", base(func(c *Config) { c.Filters = []FilterSpec{{}} }), "filters[0]: exactly one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if !errors.Is(err, ErrInvalidFunction) && !errors.Is(err, ErrInvalidFilter) || !contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrInvalidFunction containing %q", err, tt.want)
			}
			if fes := FieldErrors(err); len(fes) != 1 {
				t.Errorf("FieldErrors = %v, want one", fes)
			}
		})
	}
	if err := (Config{Function: "f", Stream: "EVENTS"}).WithDefaults().Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

func TestNewRequiresItsCollaborators(t *testing.T) {
	_, err := New(Config{Function: "f", Stream: "EVENTS"}, Broker{}, nil)
	if !errors.Is(err, ErrInvalidFunction) || !contains(err.Error(), "Broker.Consumers, Broker.Publisher, Broker.DeadLetterer, handler: required") {
		t.Errorf("err = %v", err)
	}
}
