// Package telemetry sets up what every fnmesh process shares: the slog
// logger (text or JSON, with trace and span ids on lines written inside a
// span), OpenTelemetry tracing and metrics configured from the standard
// OTEL_* environment (Setup), and the propagation of trace context through
// NATS headers (HeaderCarrier).
//
// A Telemetry plugs into the other packages through their hooks, so none
// of them imports this one: BeforePublish is a broker publish hook (one
// producer span per publish), Deliver a worker delivery hook (one consumer
// span per delivery, the handler's ctx), HTTP wraps the trigger server (one
// server span per request), and CountReceived and StartTick let triggers
// count what arrives and give each cron tick a trace. Metrics are served
// in the Prometheus format by MetricsHandler, with the Go runtime and
// process collectors; Metrics.ObserveRun counts the attempts `up` reads
// from the run history. TraceEnv and ContextFromEnv carry a trace to a
// child process in TRACEPARENT and TRACESTATE (exec functions).
// docs/OBSERVABILITY.md describes the resulting traces, metrics and logs.
package telemetry
