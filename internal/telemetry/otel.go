package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Telemetry is the OpenTelemetry setup of one process. The zero value is not
// usable; build it with Setup or NewForTest.
type Telemetry struct {
	// Tracer creates the spans of fnmesh's hops.
	Tracer trace.Tracer
	// Propagator injects and extracts trace context (OTEL_PROPAGATORS;
	// W3C tracecontext and baggage by default).
	Propagator propagation.TextMapPropagator
	// Metrics are fnmesh's instruments.
	Metrics *Metrics
	// MetricsHandler serves the Prometheus exposition at /metrics. It is
	// nil for Disabled and for NewForTest given a meter provider.
	MetricsHandler http.Handler
	// Recording is true when spans are exported (not a no-op provider).
	Recording bool

	shutdown []func(context.Context) error
	once     sync.Once
}

// Setup configures tracing and metrics the standard way: the exporter from
// OTEL_TRACES_EXPORTER / OTEL_EXPORTER_OTLP_* (through autoexport), the
// sampler from OTEL_TRACES_SAMPLER, propagators from OTEL_PROPAGATORS and
// the resource from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, with
// service as the default service name. Nothing is exported unless an
// exporter or endpoint is configured, and nothing at all when
// OTEL_SDK_DISABLED is true; trace context is still passed on then.
// Metrics are always served in the Prometheus format by MetricsHandler, and
// also pushed when OTEL_METRICS_EXPORTER is set.
func Setup(ctx context.Context, service string) (*Telemetry, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(service), semconv.ServiceNamespace("fnmesh"),
			semconv.ServiceVersion(Version()), semconv.ServiceInstanceID(uuid.NewString())),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	t := &Telemetry{Propagator: autoprop.NewTextMapPropagator()}
	disabled := sdkDisabled()

	var tp trace.TracerProvider = noop.NewTracerProvider()
	if tracesConfigured() && !disabled {
		exp, err := autoexport.NewSpanExporter(ctx)
		if err != nil {
			return nil, fmt.Errorf("telemetry: trace exporter: %w", err)
		}
		if !autoexport.IsNoneSpanExporter(exp) {
			sdk := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
			t.shutdown = append(t.shutdown, sdk.Shutdown)
			tp = sdk
			t.Recording = true
		}
	}
	t.Tracer = tp.Tracer(ScopeName, scopeOptions...)

	reg, promExp, err := newPrometheus()
	if err != nil {
		return nil, errors.Join(err, t.Shutdown(ctx))
	}
	mopts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(promExp)}
	if os.Getenv("OTEL_METRICS_EXPORTER") != "" && !disabled {
		r, err := autoexport.NewMetricReader(ctx)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("telemetry: metric reader: %w", err), t.Shutdown(ctx))
		}
		if !autoexport.IsNoneMetricReader(r) {
			mopts = append(mopts, sdkmetric.WithReader(r))
		}
	}
	mp := sdkmetric.NewMeterProvider(mopts...)
	t.shutdown = append(t.shutdown, mp.Shutdown)
	t.MetricsHandler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	t.Metrics, err = NewMetrics(mp.Meter(ScopeName, meterOptions...))
	if err != nil {
		return nil, errors.Join(err, t.Shutdown(ctx))
	}
	return t, nil
}

// newPrometheus is the registry of the /metrics exposition: the OTel
// exporter's families plus the Go runtime (go_*) and process (process_*)
// collectors of the Prometheus client.
func newPrometheus() (*prometheus.Registry, *otelprom.Exporter, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, nil, fmt.Errorf("telemetry: go collector: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, nil, fmt.Errorf("telemetry: process collector: %w", err)
	}
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	return reg, exp, nil
}

// The instrumentation scope carries its version and schema URL, so that
// the otel_scope_version and otel_scope_schema_url labels of every sample
// are never empty.
var (
	scopeOptions = []trace.TracerOption{trace.WithInstrumentationVersion(Version()), trace.WithSchemaURL(semconv.SchemaURL)}
	meterOptions = []metric.MeterOption{metric.WithInstrumentationVersion(Version()), metric.WithSchemaURL(semconv.SchemaURL)}
)

// Version is the version of the running binary: its module version when
// built by `go install module@version`, else the VCS revision it was built
// from (with "+dirty" for a modified tree), else "devel".
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" {
		return rev[:min(12, len(rev))] + dirty
	}
	return "devel"
}

// NewForTest builds a Telemetry around given providers (for instance a
// tracetest.SpanRecorder and a manual metric reader). When mp is nil the
// metrics are kept by a meter provider of its own and served in the
// Prometheus format by MetricsHandler, as Setup does. Propagation is W3C
// tracecontext and baggage. Recording is true.
func NewForTest(tp trace.TracerProvider, mp metric.MeterProvider) (*Telemetry, error) {
	t := &Telemetry{
		Tracer:     tp.Tracer(ScopeName, scopeOptions...),
		Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		Recording:  true,
	}
	if mp == nil {
		reg, promExp, err := newPrometheus()
		if err != nil {
			return nil, err
		}
		sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(promExp))
		t.shutdown = append(t.shutdown, sdk.Shutdown)
		t.MetricsHandler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		mp = sdk
	}
	m, err := NewMetrics(mp.Meter(ScopeName, meterOptions...))
	if err != nil {
		return nil, err
	}
	t.Metrics = m
	return t, nil
}

// ScopeName is the instrumentation scope of fnmesh's spans and metrics.
const ScopeName = "github.com/fnmesh/fnmesh"

// tracesConfigured reports whether the environment asks for trace export.
func tracesConfigured() bool {
	for _, k := range []string{"OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

// sdkDisabled reports whether OTEL_SDK_DISABLED turns the SDK off.
func sdkDisabled() bool {
	v, err := strconv.ParseBool(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")))
	return err == nil && v
}

// Shutdown flushes and stops the providers. It is safe to call more than once.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var err error
	t.once.Do(func() {
		var errs []error
		for i := len(t.shutdown) - 1; i >= 0; i-- {
			errs = append(errs, t.shutdown[i](ctx))
		}
		err = errors.Join(errs...)
	})
	return err
}

// natsSystem is messaging.system for every span of fnmesh.
var natsSystem = semconv.MessagingSystemKey.String("nats")

func eventAttrs(id, source, typ, subject string) []attribute.KeyValue {
	kv := []attribute.KeyValue{
		semconv.CloudEventsEventID(id),
		semconv.CloudEventsEventSource(source),
		semconv.CloudEventsEventType(typ),
	}
	if subject != "" {
		kv = append(kv, semconv.CloudEventsEventSubject(subject))
	}
	return kv
}
