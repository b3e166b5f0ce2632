package workers

import (
	"errors"
	"fmt"
	"time"

	"github.com/fnmesh/fnmesh/broker"
)

// ErrInvalidFunction means a Config cannot be run by a worker; the error
// names the setting and the rule.
var ErrInvalidFunction = errors.New("invalid function")

// Defaults of Config, applied to settings left at their zero value.
const (
	// DefaultSubjectPrefix is the first token of event subjects.
	DefaultSubjectPrefix = broker.DefaultSubjectPrefix
	// DefaultConcurrency is the number of events one replica holds at once.
	DefaultConcurrency = 1
	// DefaultTimeout is the handler deadline per event.
	DefaultTimeout = 30 * time.Second
	// DefaultAckWait is how long the server waits for an ack (or a
	// heartbeat) before it redelivers.
	DefaultAckWait = 30 * time.Second
	// DefaultRetry is the number of retries after the first attempt.
	DefaultRetry = 3
	// DefaultBackoffDelay is the delay before the first retry.
	DefaultBackoffDelay = time.Second
	// DefaultBackoffMax caps the retry delay (raised to BackoffDelay when
	// that is longer).
	DefaultBackoffMax = time.Minute
	// DefaultMaxReplicas is the number of replicas that share the consumer.
	DefaultMaxReplicas = 1
	// DefaultShutdownTimeout bounds the drain when Run's context ends.
	DefaultShutdownTimeout = 30 * time.Second
	// DefaultStartFrom is where a new function's consumer starts: the
	// events stored from its creation on.
	DefaultStartFrom = StartNew
)

// Values of Config.StartFrom besides an RFC 3339 time.
const (
	// StartNew starts a new consumer at the events stored after it is
	// created (JetStream's deliver-new policy).
	StartNew = "new"
	// StartAll starts a new consumer at the first event the stream holds
	// (deliver-all).
	StartAll = "all"
)

// Bounds of Config.
const (
	// MaxConcurrency is the most events one replica may hold at once.
	MaxConcurrency = 10000
	// MaxTimeout is the longest handler deadline and ack wait.
	MaxTimeout = 24 * time.Hour
	// MaxRetry is the most retries a function may ask for.
	MaxRetry = 100
)

// Backoff policies of Delivery.
const (
	// BackoffExponential waits BackoffDelay x 2^(n-1) after attempt n.
	BackoffExponential = "exponential"
	// BackoffLinear waits BackoffDelay x n after attempt n.
	BackoffLinear = "linear"
)

// Config is what one worker replica consumes and how. Zero values take the
// defaults above; New applies them, then its options, then Validate.
type Config struct {
	// Function is the function's name; it names the durable consumer.
	// Required.
	Function string
	// Stream holds the function's events. Required.
	Stream string
	// SubjectPrefix is the first token of event subjects (the broker
	// client's prefix). Default DefaultSubjectPrefix.
	SubjectPrefix string
	// StreamSubjects are the subjects Stream captures, when known. A
	// stream that captures subjects outside "<SubjectPrefix>.>" does not
	// store events on "<SubjectPrefix>.<type>", so no server-side filter
	// is derived from the type filters there: the consumer reads the whole
	// stream and the filters are evaluated on each event.
	StreamSubjects []string
	// Filters select the events the handler sees (all must match); see
	// CompileFilters.
	Filters []FilterSpec
	// Concurrency is the number of events in flight (1..MaxConcurrency).
	Concurrency int
	// Timeout is the handler deadline per event (at most MaxTimeout).
	Timeout time.Duration
	// AckWait is how long the server waits for an ack before redelivering
	// (at most MaxTimeout); heartbeats keep longer work alive.
	AckWait time.Duration
	// Delivery says how failures are retried and dead-lettered.
	Delivery Delivery
	// StartFrom is where the function's consumer starts when it is
	// created: StartNew (default), StartAll, or an RFC 3339 time (the
	// first event stored at or after it). An existing consumer keeps its
	// position whatever StartFrom says.
	StartFrom string
	// MaxReplicas is the most replicas that consume at once; the consumer
	// lets concurrency x MaxReplicas events be in flight.
	MaxReplicas int
	// Replica identifies this replica in logs. Default "<hostname>-<pid>".
	Replica string
	// ShutdownTimeout bounds the drain when Run's context ends: handlers
	// still running after it are cancelled and their events released.
	ShutdownTimeout time.Duration
	// RateLimit, when set, bounds how many events all replicas together
	// start per period (see RateLimit).
	RateLimit *RateLimit
	// Ordering, when set, handles events of one key one at a time, in
	// stream order (see Ordering).
	Ordering *Ordering
	// Batch, when set, hands the handler (a BatchHandler) batches of
	// events (see Batch).
	Batch *Batch
}

// Delivery configures retries and dead letters (Knative's names).
type Delivery struct {
	// Retry is the number of retries after the first attempt
	// (0..MaxRetry); nil means DefaultRetry.
	Retry *int
	// BackoffPolicy is BackoffExponential (default) or BackoffLinear.
	BackoffPolicy string
	// BackoffDelay is the delay before the first retry.
	BackoffDelay time.Duration
	// BackoffMax caps the delay; default the longer of DefaultBackoffMax
	// and BackoffDelay.
	BackoffMax time.Duration
	// DeadLetter stores an event that failed for good on the dead-letter
	// stream before terminating it; nil means true.
	DeadLetter *bool
}

// WithDefaults returns c with every setting left at its zero value set to
// its default. Settings already set are kept.
func (c Config) WithDefaults() Config {
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	setZero(&c.Concurrency, DefaultConcurrency)
	setZero(&c.Timeout, DefaultTimeout)
	setZero(&c.AckWait, DefaultAckWait)
	setZero(&c.MaxReplicas, DefaultMaxReplicas)
	setZero(&c.ShutdownTimeout, DefaultShutdownTimeout)
	setZero(&c.StartFrom, DefaultStartFrom)
	d := &c.Delivery
	if d.Retry == nil {
		d.Retry = new(DefaultRetry)
	}
	if d.BackoffPolicy == "" {
		d.BackoffPolicy = BackoffExponential
	}
	setZero(&d.BackoffDelay, DefaultBackoffDelay)
	setZero(&d.BackoffMax, max(DefaultBackoffMax, d.BackoffDelay))
	if d.DeadLetter == nil {
		d.DeadLetter = new(true)
	}
}

func setZero[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Validate checks every setting. It expects the defaults applied
// (WithDefaults). The error joins one *FieldError per broken rule
// (FieldErrors lists them); each wraps ErrInvalidFunction, or
// ErrInvalidFilter for the filters.
func (c Config) Validate() error {
	p := &problems{err: ErrInvalidFunction}
	if c.Function == "" {
		p.add([]PathStep{Key("function")}, "required")
	}
	if c.Stream == "" {
		p.add([]PathStep{Key("stream")}, "required")
	}
	if c.SubjectPrefix == "" {
		p.add([]PathStep{Key("subjectPrefix")}, "required")
	}
	if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
		p.add([]PathStep{Key("concurrency")}, fmt.Sprintf("must be between 1 and %d", MaxConcurrency))
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"timeout", c.Timeout}, {"ackWait", c.AckWait}} {
		if d.d <= 0 || d.d > MaxTimeout {
			p.add([]PathStep{Key(d.name)}, "must be positive and at most 24h")
		}
	}
	c.Delivery.check(p)
	if _, _, err := startPolicy(c.StartFrom); err != nil {
		p.add([]PathStep{Key("startFrom")}, err.Error())
	}
	if c.MaxReplicas < 1 {
		p.add([]PathStep{Key("maxReplicas")}, "must be at least 1")
	}
	if c.ShutdownTimeout <= 0 {
		p.add([]PathStep{Key("shutdownTimeout")}, "must be positive")
	}
	c.checkFlow(p)
	_, ferr := CompileFilters(c.Filters)
	if err := errors.Join(p.join(), ferr); err != nil {
		return fmt.Errorf("workers: function %q: %w", c.Function, err)
	}
	return nil
}

func (d Delivery) check(p *problems) {
	path := func(k string) []PathStep { return []PathStep{Key("delivery"), Key(k)} }
	if d.Retry != nil && (*d.Retry < 0 || *d.Retry > MaxRetry) {
		p.add(path("retry"), fmt.Sprintf("must be between 0 and %d", MaxRetry))
	}
	if d.BackoffPolicy != BackoffExponential && d.BackoffPolicy != BackoffLinear {
		p.add(path("backoffPolicy"), "must be one of exponential, linear")
	}
	if d.BackoffDelay <= 0 {
		p.add(path("backoffDelay"), "must be positive")
	}
	if d.BackoffMax < d.BackoffDelay {
		p.add(path("backoffMax"), fmt.Sprintf("must not be shorter than backoffDelay (%s)", d.BackoffDelay))
	}
}
