package telemetry

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/workers"
)

// Header names of the CloudEvents distributed tracing extension as carried
// in binary mode.
const (
	ceTraceparent = "ce-traceparent"
	ceTracestate  = "ce-tracestate"
)

// Attribute keys fnmesh adds beyond the semantic conventions.
const (
	attrAttempt attribute.Key = "messaging.nats.delivery.attempt"
	attrOutcome attribute.Key = "fnmesh.outcome"
	// attrLinkKind says why a process span links to another trace:
	// "replay" for an event Replay or Redrive sent again.
	attrLinkKind attribute.Key = "fnmesh.link.kind"
	attrTrigger  attribute.Key = "fnmesh.trigger"
	attrTick     attribute.Key = "fnmesh.cron.tick"
	// Labels of the metrics (plain Prometheus label names).
	attrFunc      attribute.Key = "function"
	metricOutcome attribute.Key = "outcome"
)

// BeforePublish is a broker publish hook: it starts a producer span for the
// message, injects its context into the NATS headers and, when the event
// does not carry one yet, records the starting trace in the CloudEvents
// distributed tracing extension (ce-traceparent). The returned function ends
// the span with the publish result.
func (t *Telemetry) BeforePublish(ctx context.Context, e *event.Event, msg *nats.Msg) (context.Context, func(error)) {
	ctx, span := t.Tracer.Start(ctx, "send "+msg.Subject, trace.WithSpanKind(trace.SpanKindProducer))
	// Attributes only for spans that are kept: with tracing off (or not
	// sampled) the publish path builds none of them.
	if span.IsRecording() {
		span.SetAttributes(
			natsSystem,
			semconv.MessagingOperationTypeSend,
			semconv.MessagingOperationName("send"),
			semconv.MessagingDestinationName(msg.Subject),
			semconv.MessagingMessageID(msg.Header.Get(nats.MsgIdHdr)),
			semconv.MessagingMessageBodySize(len(msg.Data)),
		)
		span.SetAttributes(eventAttrs(e.ID(), e.Source(), e.Type(), e.Subject())...)
	}
	if msg.Header == nil {
		msg.Header = nats.Header{}
	}
	t.Propagator.Inject(ctx, HeaderCarrier(msg.Header))
	if sc := span.SpanContext(); sc.IsValid() && HeaderCarrier(msg.Header).Get(ceTraceparent) == "" {
		if tp := HeaderCarrier(msg.Header).Get("traceparent"); tp != "" {
			msg.Header.Set(ceTraceparent, tp)
			if ts := HeaderCarrier(msg.Header).Get("tracestate"); ts != "" {
				msg.Header.Set(ceTracestate, ts)
			}
		}
	}
	start := time.Now()
	return ctx, func(err error) {
		outcome := "ok"
		if err != nil {
			outcome = "error"
			failSpan(span, err)
		}
		set := metric.WithAttributes(metricOutcome.String(outcome))
		t.Metrics.Published.Add(ctx, 1, set)
		t.Metrics.PublishDuration.Record(ctx, time.Since(start).Seconds(), set)
		span.End()
	}
}

// Deliver is a worker delivery hook: it continues the trace carried in the
// message headers (or, failing that, the event's traceparent extension),
// starts the consumer "process" span the handler runs in, marks retries with
// an "attempt" span event, and records the outcome in span and metrics.
func (t *Telemetry) Deliver(ctx context.Context, fn string, h nats.Header, e *event.Event, attempt uint64) (context.Context, func(outcome string, err error)) {
	carrier := HeaderCarrier(h)
	ctx = t.Propagator.Extract(ctx, carrier)
	if !trace.SpanContextFromContext(ctx).IsValid() && carrier.Get(ceTraceparent) != "" {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{
			"traceparent": carrier.Get(ceTraceparent), "tracestate": carrier.Get(ceTracestate),
		})
	}
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer)}
	if l, ok := replayLink(e); ok {
		opts = append(opts, trace.WithLinks(l))
	}
	ctx, span := t.Tracer.Start(ctx, "process "+fn, opts...)
	if span.IsRecording() {
		span.SetAttributes(
			natsSystem,
			semconv.MessagingOperationTypeProcess,
			semconv.MessagingOperationName("process"),
			semconv.MessagingConsumerGroupName(fn),
			semconv.MessagingMessageID(carrier.Get(nats.MsgIdHdr)),
			attrAttempt.Int64(int64(attempt)),
		)
		if m, ok := workers.MessageFrom(ctx); ok {
			span.SetAttributes(semconv.MessagingDestinationName(m.Subject))
		}
		if e != nil {
			span.SetAttributes(eventAttrs(e.ID(), e.Source(), e.Type(), e.Subject())...)
		}
		if attempt > 1 {
			span.AddEvent("attempt", trace.WithAttributes(attrAttempt.Int64(int64(attempt))))
		}
	}
	fnAttr := attrFunc.String(fn)
	t.Metrics.Delivered.Add(ctx, 1, metric.WithAttributes(fnAttr))
	start := time.Now()
	return ctx, func(outcome string, err error) {
		span.SetAttributes(attrOutcome.String(outcome))
		if err != nil {
			failSpan(span, err)
		}
		set := metric.WithAttributes(fnAttr, metricOutcome.String(outcome))
		t.Metrics.Processed.Add(ctx, 1, set)
		if outcome != "filtered" {
			t.Metrics.HandlerDuration.Record(ctx, time.Since(start).Seconds(), set)
		}
		span.End()
	}
}

// replayLink is the link from the delivery of an event Replay or Redrive
// sent again to the trace of the original (its replaytraceparent): the
// new delivery is its own trace, started by whoever asked for it, and
// points back at the first.
func replayLink(e *event.Event) (trace.Link, bool) {
	if e == nil {
		return trace.Link{}, false
	}
	tp, ok := e.Extensions()[broker.ExtReplayTraceParent].(string)
	if !ok || tp == "" {
		return trace.Link{}, false
	}
	sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": tp}))
	if !sc.IsValid() {
		return trace.Link{}, false
	}
	return trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{attrLinkKind.String("replay")}}, true
}

// HTTP wraps the trigger server: each request continues the caller's trace
// (traceparent header) in a server span named "<method> <route>" after the
// http.ServeMux pattern that matched (method and host left out, as
// http.route wants), and is counted in fnmesh.ingest.duration. The pattern
// is read from the request passed on, so next must be the ServeMux itself
// or pass that request through unchanged.
//
// Requests matching one of untraced ("METHOD /path", exact path, such as
// "GET /metrics" or "GET /livez") are served without span or metric, so
// scrapes and probes do not flood the traces.
func (t *Telemetry) HTTP(next http.Handler, untraced ...string) http.Handler {
	skip := make(map[string]bool, len(untraced))
	for _, u := range untraced {
		skip[u] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(skip) > 0 && skip[r.Method+" "+r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		ctx := t.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := t.Tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(r.Method), semconv.URLPath(r.URL.Path)))
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		r = r.WithContext(ctx)
		defer func() {
			// Deferred so that a panicking handler (recovered by net/http)
			// still ends its span.
			route := routeOf(r.Pattern)
			span.SetName(r.Method + " " + route)
			span.SetAttributes(semconv.HTTPRoute(route), semconv.HTTPResponseStatusCode(sw.status))
			if sw.status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(sw.status))
				span.SetAttributes(semconv.ErrorTypeKey.String(strconv.Itoa(sw.status)))
			}
			span.End()
			t.Metrics.IngestDuration.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(
				semconv.HTTPRoute(route), attribute.String("status", strconv.Itoa(sw.status))))
		}()
		next.ServeHTTP(sw, r)
	})
}

// routeOf turns a ServeMux pattern ("[METHOD ][HOST]/PATH") into the
// http.route of a request: the path template alone. A request no pattern
// matched is "unmatched".
func routeOf(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		pattern = strings.TrimLeft(pattern[i:], " \t")
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:]
	}
	return pattern
}

// StartTick starts the root span of one cron tick, "cron <trigger>": the
// producer span of the tick's event becomes its child, so every tick is a
// trace of its own. end is called once with the result of storing the
// tick's event.
func (t *Telemetry) StartTick(ctx context.Context, trigger string, tick time.Time) (context.Context, func(error)) {
	ctx, span := t.Tracer.Start(ctx, "cron "+trigger, trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attrTrigger.String(trigger), attrTick.String(tick.UTC().Format(time.RFC3339))))
	return ctx, func(err error) {
		if err != nil {
			failSpan(span, err)
		}
		span.End()
	}
}

// failSpan marks span failed with err: status Error, the error recorded
// as an exception event and error.type set (ErrorType).
func failSpan(span trace.Span, err error) {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	span.SetAttributes(semconv.ErrorTypeKey.String(ErrorType(err)))
}

// ErrorType is the error.type of err, a low-cardinality name: "timeout"
// for a deadline, "canceled" for a cancellation, else what
// semconv.ErrorType derives (an ErrorType() string method in err's chain,
// or the Go type of err under its fmt.Errorf wrappers).
func ErrorType(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return semconv.ErrorType(err).Value.AsString()
}

// CountReceived increments fnmesh.events.received for a trigger.
func (t *Telemetry) CountReceived(ctx context.Context, trigger, outcome string, n int) {
	t.Metrics.Received.Add(ctx, int64(n), metric.WithAttributes(attribute.String("trigger", trigger), metricOutcome.String(outcome)))
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
