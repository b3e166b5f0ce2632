// Package telemetry sets up what every fnmesh process shares: the slog
// logger (text or JSON, with trace and span ids on lines written inside a
// span), OpenTelemetry tracing and metrics configured from the standard
// OTEL_* environment, and the propagation of trace context through NATS
// headers.
package telemetry
