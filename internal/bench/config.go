package bench

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/fnmesh/fnmesh/broker"
)

// Errors callers branch on.
var (
	// ErrInvalidConfig means a setting is out of range; the error names the
	// flag and the rule.
	ErrInvalidConfig = errors.New("invalid benchmark setting")
	// ErrUnknownScenario means the scenario name is not one of Scenarios.
	ErrUnknownScenario = errors.New("unknown scenario")
	// ErrNoWorker means the scale scenario has no WorkerCommand to run as
	// replicas.
	ErrNoWorker = errors.New("scale scenario: no worker command")
	// ErrIncomplete means a run did not finish: requests failed or events
	// were not all handled in time.
	ErrIncomplete = errors.New("benchmark run incomplete")
)

// Scenario names.
const (
	Ingest   = "ingest"
	Pipeline = "pipeline"
	Latency  = "latency"
	Scale    = "scale"
	Delay    = "delay"
	// RateLimit runs replicas of a rate-limited function over a backlog.
	RateLimit = "ratelimit"
)

// Scenarios lists the scenario names in the order they are documented.
func Scenarios() []string { return []string{Ingest, Pipeline, Latency, Scale, Delay, RateLimit} }

// Config is what a run measures. Zero numeric fields take the scenario's
// default (see Defaults); the flag names in error messages are those of
// `fnmesh bench`.
type Config struct {
	// Count is the number of events: published then consumed (pipeline),
	// or per burst (scale). Flag --count.
	Count int
	// Size is the payload (event data) size in bytes. Flag --size.
	Size int
	// Duration is how long each side is measured (ingest, latency). Flag
	// --duration.
	Duration time.Duration
	// Concurrency is the number of HTTP clients (ingest), of publishers
	// (pipeline, latency) and of events in flight per fnmesh replica (the
	// function's concurrency). Flag --concurrency.
	Concurrency int
	// Replicas is the number of consumers on each side (pipeline, latency)
	// or the most replicas the scaler may start (scale). Flag --replicas.
	Replicas int
	// Rate is the publish rate in events per second (latency). Flag --rate.
	Rate int
	// History also runs the pipeline's fnmesh side with the run history
	// recorded, and reports both. Flag --history.
	History bool
	// Work is how long the scale scenario's handler works on each event.
	// Flag --work.
	Work time.Duration
	// Batch, when not 0, makes the ingest scenario compare batches of this
	// many events (application/cloudevents-batch+json, stored atomically
	// up to 1,000, else with fast batch publish) against posting the same
	// events one by one. Flag --batch.
	Batch int

	// NATS says how to reach an external NATS server; an empty URL starts an
	// embedded one with its store in a temporary directory.
	NATS broker.ConnConfig
	// WorkerCommand is the program the scale scenario runs as replicas
	// (for `fnmesh bench`, the fnmesh binary with "bench worker"); it must
	// call ServeWorker. WorkerEnv is added to its environment.
	WorkerCommand []string
	WorkerEnv     map[string]string
	// Progress, when not nil, receives a progress line rewritten in place
	// ("\r") a few times a second; give it a terminal.
	Progress io.Writer
	// Log receives the broker's and the workers' logs. Nil discards.
	Log *slog.Logger
}

// Defaults returns cfg with every zero numeric field set to the default of
// scenario.
func Defaults(scenario string, cfg Config) Config {
	set := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	setD := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	if scenario == Delay {
		set(&cfg.Count, 10000)
		setD(&cfg.Duration, time.Minute)
	}
	if scenario == RateLimit {
		set(&cfg.Rate, 200)
		set(&cfg.Replicas, 3)
		set(&cfg.Concurrency, 4)
		setD(&cfg.Duration, 20*time.Second)
	}
	if scenario == Scale {
		set(&cfg.Count, 2000)
		set(&cfg.Concurrency, 4)
		set(&cfg.Replicas, 4)
		setD(&cfg.Work, 5*time.Millisecond)
	}
	set(&cfg.Count, 50000)
	set(&cfg.Size, 256)
	set(&cfg.Concurrency, 32)
	set(&cfg.Replicas, 1)
	set(&cfg.Rate, 5000)
	setD(&cfg.Duration, 5*time.Second)
	return cfg
}

// Limits of the settings.
const (
	maxCount       = 10_000_000
	maxSize        = 1 << 20
	maxConcurrency = 1024
	maxReplicas    = 64
	maxRate        = 1_000_000
	minDuration    = 100 * time.Millisecond
	maxDuration    = time.Hour
	maxWork        = time.Minute
	maxBatch       = 100_000
)

// Validate checks scenario and the settings of cfg after Defaults; every
// error wraps ErrInvalidConfig or ErrUnknownScenario and names the flag.
func Validate(scenario string, cfg Config) error {
	if !slices.Contains(Scenarios(), scenario) {
		return fmt.Errorf("bench: scenario %q: %w (one of %v)", scenario, ErrUnknownScenario, Scenarios())
	}
	var errs []error
	bad := func(flag, format string, args ...any) {
		errs = append(errs, fmt.Errorf("bench: --%s: %s: %w", flag, fmt.Sprintf(format, args...), ErrInvalidConfig))
	}
	between := func(flag string, v, lo, hi int) {
		if v < lo || v > hi {
			bad(flag, "must be between %d and %d, got %d", lo, hi, v)
		}
	}
	between("count", cfg.Count, 1, maxCount)
	between("size", cfg.Size, 0, maxSize)
	between("concurrency", cfg.Concurrency, 1, maxConcurrency)
	between("replicas", cfg.Replicas, 1, maxReplicas)
	between("rate", cfg.Rate, 1, maxRate)
	if cfg.Duration < minDuration || cfg.Duration > maxDuration {
		bad("duration", "must be between %s and %s, got %s", minDuration, maxDuration, cfg.Duration)
	}
	if cfg.Work < 0 || cfg.Work > maxWork {
		bad("work", "must be between 0 and %s, got %s", maxWork, cfg.Work)
	}
	if cfg.Batch < 0 || cfg.Batch > maxBatch {
		bad("batch", "must be between 0 and %d, got %d", maxBatch, cfg.Batch)
	}
	if scenario == Latency && cfg.Size < 8 {
		bad("size", "the latency scenario carries an 8-byte timestamp in the payload: must be at least 8, got %d", cfg.Size)
	}
	if scenario == RateLimit {
		if cfg.Duration < RateLimitWindow {
			bad("duration", "the ratelimit scenario checks %s windows: must be at least %s, got %s", RateLimitWindow, RateLimitWindow, cfg.Duration)
		}
		if b := 2 * cfg.Rate * int(cfg.Duration/time.Second); b > maxCount {
			bad("rate", "the backlog (2 x rate x duration) would be %d events, more than %d", b, maxCount)
		}
	}
	if scenario == Scale && len(cfg.WorkerCommand) == 0 {
		errs = append(errs, fmt.Errorf("bench: %w: WorkerCommand is empty", ErrNoWorker))
	}
	return errors.Join(errs...)
}
