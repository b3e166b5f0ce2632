package telemetry

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metrics are the instruments every fnmesh process exports. Names follow
// OpenTelemetry conventions; the Prometheus exposition turns dots into
// underscores and adds unit and _total suffixes.
type Metrics struct {
	// Received counts events arriving at a trigger, by trigger and outcome
	// (accepted, duplicate, rejected, unauthorized, unavailable, error).
	Received metric.Int64Counter
	// Published counts publishes to the broker by outcome (ok, error); a
	// publish the broker de-duplicated counts as ok.
	Published metric.Int64Counter
	// Delivered counts messages handed to a function's worker, by function.
	Delivered metric.Int64Counter
	// Processed counts finished deliveries by function and outcome
	// (ok, retry, deadletter, filtered).
	Processed metric.Int64Counter
	// HandlerDuration is the handler's run time by function and outcome.
	HandlerDuration metric.Float64Histogram
	// IngestDuration is the HTTP request duration of triggers by route and status.
	IngestDuration metric.Float64Histogram
	// Evicted counts events a stream removed before one of its consumers
	// processed them, by stream and consumer (broker.EvictionWatch).
	Evicted metric.Int64Counter
	// PublishDuration is the time from the start of a publish to its PubAck
	// (the event is stored), by outcome (ok, error).
	PublishDuration metric.Float64Histogram

	// Runs counts the attempts recorded in the run history, by function and
	// outcome (ok, retry, deadletter). Fed by `up` from the history stream
	// (history.Counter), so it outlives the replicas that did the work.
	Runs metric.Int64Counter
	// RunDuration is the duration of the recorded attempts, by function and
	// outcome (history-fed, like Runs).
	RunDuration metric.Float64Histogram
	// Retries counts recorded attempts that asked for a retry, by function.
	Retries metric.Int64Counter
	// DeadLetters counts recorded attempts that dead-lettered their event,
	// by function.
	DeadLetters metric.Int64Counter

	mu       sync.Mutex
	backlog  map[string]int64
	replicas map[string][2]int64
}

// NewMetrics creates the instruments on meter.
func NewMetrics(meter metric.Meter) (*Metrics, error) {
	m := &Metrics{backlog: map[string]int64{}, replicas: map[string][2]int64{}}
	var err error
	if m.Received, err = meter.Int64Counter("fnmesh.events.received", metric.WithDescription("Events received by triggers"), metric.WithUnit("{event}")); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if m.Published, err = meter.Int64Counter("fnmesh.events.published", metric.WithDescription("Events published to the broker"), metric.WithUnit("{event}")); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if m.Delivered, err = meter.Int64Counter("fnmesh.events.delivered", metric.WithDescription("Events delivered to function workers"), metric.WithUnit("{event}")); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if m.Processed, err = meter.Int64Counter("fnmesh.events.processed", metric.WithDescription("Deliveries finished by functions, by outcome"), metric.WithUnit("{event}")); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if m.Evicted, err = meter.Int64Counter("fnmesh.events.evicted", metric.WithDescription("Events a stream removed before every consumer processed them"), metric.WithUnit("{event}")); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	buckets := metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
	if m.HandlerDuration, err = meter.Float64Histogram("fnmesh.handler.duration", metric.WithDescription("Function handler duration"), metric.WithUnit("s"), buckets); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if m.IngestDuration, err = meter.Float64Histogram("fnmesh.ingest.duration", metric.WithDescription("Trigger HTTP request duration"), metric.WithUnit("s"), buckets); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if m.PublishDuration, err = meter.Float64Histogram("fnmesh.publish.duration", metric.WithDescription("Time from publish to PubAck (event stored)"), metric.WithUnit("s"), buckets); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if m.Runs, err = meter.Int64Counter("fnmesh.runs", metric.WithDescription("Attempts recorded in the run history, by function and outcome"), metric.WithUnit("{attempt}")); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if m.RunDuration, err = meter.Float64Histogram("fnmesh.run.duration", metric.WithDescription("Duration of the attempts recorded in the run history"), metric.WithUnit("s"), buckets); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if m.Retries, err = meter.Int64Counter("fnmesh.retries", metric.WithDescription("Recorded attempts that failed and were retried"), metric.WithUnit("{attempt}")); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if m.DeadLetters, err = meter.Int64Counter("fnmesh.deadletters", metric.WithDescription("Recorded attempts that dead-lettered their event"), metric.WithUnit("{event}")); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if _, err = meter.Int64ObservableGauge("fnmesh.function.backlog", metric.WithDescription("Pending plus unacknowledged events per function"), metric.WithUnit("{event}"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			for fn, v := range m.backlog {
				o.Observe(v, metric.WithAttributes(attribute.String("function", fn)))
			}
			return nil
		})); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if _, err = meter.Int64ObservableGauge("fnmesh.function.replicas", metric.WithDescription("Worker replicas per function (desired and actual)"), metric.WithUnit("{replica}"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			for fn, v := range m.replicas {
				o.Observe(v[0], metric.WithAttributes(attribute.String("function", fn), attribute.String("state", "desired")))
				o.Observe(v[1], metric.WithAttributes(attribute.String("function", fn), attribute.String("state", "actual")))
			}
			return nil
		})); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	return m, nil
}

// ObserveRun counts one attempt read from the run history: Runs and
// RunDuration by function and outcome, and Retries or DeadLetters for the
// outcomes "retry" and "deadletter".
func (m *Metrics) ObserveRun(ctx context.Context, fn, outcome string, d time.Duration) {
	fnAttr := attrFunc.String(fn)
	set := metric.WithAttributes(fnAttr, metricOutcome.String(outcome))
	m.Runs.Add(ctx, 1, set)
	m.RunDuration.Record(ctx, d.Seconds(), set)
	switch outcome {
	case "retry":
		m.Retries.Add(ctx, 1, metric.WithAttributes(fnAttr))
	case "deadletter":
		m.DeadLetters.Add(ctx, 1, metric.WithAttributes(fnAttr))
	}
}

// SetScale records the latest backlog and replica counts of a function.
func (m *Metrics) SetScale(fn string, backlog int64, desired, actual int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.backlog[fn] = backlog
	m.replicas[fn] = [2]int64{int64(desired), int64(actual)}
}
