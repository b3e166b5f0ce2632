package telemetry

import (
	"context"
	"strings"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/otel/propagation"
)

// HeaderCarrier adapts NATS message headers to propagation.TextMapCarrier so
// trace context travels with each message. Keys are used as given (NATS
// headers are case-sensitive); Get falls back to a case-insensitive match.
type HeaderCarrier nats.Header

var _ propagation.TextMapCarrier = HeaderCarrier(nil)

// Get returns the first value of key.
func (c HeaderCarrier) Get(key string) string {
	if v, ok := c[key]; ok && len(v) > 0 {
		return v[0]
	}
	for k, v := range c {
		if len(v) > 0 && strings.EqualFold(k, key) {
			return v[0]
		}
	}
	return ""
}

// Set replaces the values of key.
func (c HeaderCarrier) Set(key, value string) { c[key] = []string{value} }

// Keys lists the header names.
func (c HeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// Environment variables that carry the W3C trace context to a child
// process (the OpenTelemetry environment carrier).
const (
	EnvTraceparent = "TRACEPARENT"
	EnvTracestate  = "TRACESTATE"
)

// EnvPropagator is the propagator OTEL_PROPAGATORS selects (W3C
// tracecontext and baggage by default), for code that has no Telemetry at
// hand, such as a handler built before Serve sets telemetry up.
func EnvPropagator() propagation.TextMapPropagator { return autoprop.NewTextMapPropagator() }

// TraceEnv is the TRACEPARENT and TRACESTATE entries (NAME=VALUE) that
// pass the trace of ctx on to a child process; none when ctx holds no
// valid span context.
func TraceEnv(ctx context.Context) []string {
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	var env []string
	if tp := c.Get("traceparent"); tp != "" {
		env = append(env, EnvTraceparent+"="+tp)
		if ts := c.Get("tracestate"); ts != "" {
			env = append(env, EnvTracestate+"="+ts)
		}
	}
	return env
}

// ContextFromEnv returns ctx continuing the trace a parent process passed
// in TRACEPARENT and TRACESTATE (read with lookup, such as os.LookupEnv):
// an fnmesh program run by an exec function continues the function's
// trace. ctx is returned unchanged when TRACEPARENT is unset or invalid.
func ContextFromEnv(ctx context.Context, lookup func(string) (string, bool)) context.Context {
	tp, ok := lookup(EnvTraceparent)
	if !ok || tp == "" {
		return ctx
	}
	c := propagation.MapCarrier{"traceparent": tp}
	if ts, ok := lookup(EnvTracestate); ok && ts != "" {
		c["tracestate"] = ts
	}
	return propagation.TraceContext{}.Extract(ctx, c)
}
