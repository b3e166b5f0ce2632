package workers

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fnmesh/fnmesh/internal/config"
)

// ErrInvalidFunction means a function declaration cannot be run by a
// worker; the error names the field and the rule.
var ErrInvalidFunction = errors.New("invalid function")

// settings are a function's effective consume settings: the declaration
// with every unset field at its documented default.
type settings struct {
	fn          string
	stream      string
	prefix      string
	concurrency int
	timeout     time.Duration
	ackWait     time.Duration
	retry       int
	linear      bool
	delay       time.Duration
	backoffMax  time.Duration
	deadLetter  bool
	maxReplicas int
}

// resolve applies the mesh defaults to a copy of fn (neither m nor fn is
// modified) and checks the fields the consume loop relies on. The returned
// settings are usable even with an error (out-of-range values are clamped).
func resolve(m *config.Mesh, fn *config.Function) (settings, error) {
	if m == nil {
		m = &config.Mesh{}
	}
	if fn == nil {
		fn = &config.Function{}
	}
	mc := config.Mesh{
		SubjectPrefix: m.SubjectPrefix,
		Streams:       slices.Clone(m.Streams),
		DeadLetter:    m.DeadLetter,
		Functions:     []config.Function{*fn},
	}
	mc.SetDefaults()
	f := &mc.Functions[0]
	s := settings{
		fn:          f.Name,
		stream:      f.Stream,
		prefix:      mc.SubjectPrefix,
		concurrency: f.Concurrency,
		timeout:     f.Timeout.D(),
		ackWait:     f.AckWait.D(),
		retry:       *f.Delivery.Retry,
		linear:      f.Delivery.BackoffPolicy == "linear",
		delay:       f.Delivery.BackoffDelay.D(),
		backoffMax:  f.Delivery.BackoffMax.D(),
		deadLetter:  *f.Delivery.DeadLetter,
		maxReplicas: f.Scaling.MaxReplicaCount,
	}
	if s.stream == "" {
		s.stream = config.DefaultStream
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("workers: function %q: %s: %s: %w", fn.Name, field, fmt.Sprintf(format, args...), ErrInvalidFunction))
	}
	if fn.Name == "" {
		bad("name", "must not be empty")
	}
	if s.concurrency < 1 {
		bad("concurrency", "must be at least 1, got %d", s.concurrency)
		s.concurrency = 1
	}
	if s.timeout <= 0 {
		bad("timeout", "must be positive, got %s", s.timeout)
		s.timeout = config.DefaultTimeout
	}
	if s.ackWait <= 0 {
		bad("ackWait", "must be positive, got %s", s.ackWait)
		s.ackWait = config.DefaultAckWait
	}
	if s.retry < 0 {
		bad("delivery.retry", "must not be negative, got %d", s.retry)
		s.retry = 0
	}
	if p := f.Delivery.BackoffPolicy; p != "exponential" && p != "linear" {
		bad("delivery.backoffPolicy", "must be exponential or linear, got %q", p)
	}
	if s.delay <= 0 {
		bad("delivery.backoffDelay", "must be positive, got %s", s.delay)
		s.delay = config.DefaultBackoffDelay
	}
	if s.backoffMax < s.delay {
		bad("delivery.backoffMax", "must not be shorter than backoffDelay (%s), got %s", s.delay, s.backoffMax)
		s.backoffMax = s.delay
	}
	if s.maxReplicas < 1 {
		bad("scaling.maxReplicaCount", "must be at least 1, got %d", s.maxReplicas)
		s.maxReplicas = 1
	}
	return s, errors.Join(errs...)
}
