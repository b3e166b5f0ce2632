package telemetry_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/fnmesh/fnmesh/internal/telemetry"
)

type codedError struct{}

func (codedError) Error() string     { return "coded" }
func (codedError) ErrorType() string { return "quota_exceeded" }

func TestErrorType(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	tests := []struct {
		err  error
		want string
	}{
		{errors.New("boom"), "*errors.errorString"},
		{fmt.Errorf("handler: %w", codedError{}), "quota_exceeded"},
		{fmt.Errorf("POST x: %w", ctx.Err()), "timeout"},
		{fmt.Errorf("stop: %w", context.Canceled), "canceled"},
		{fmt.Errorf("wrapped: %w", &net.OpError{Op: "dial", Err: errors.New("refused")}), "*net.OpError"},
	}
	for _, tt := range tests {
		if got := telemetry.ErrorType(tt.err); got != tt.want && !strings.HasSuffix(got, tt.want) {
			t.Errorf("ErrorType(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestTraceEnvRoundTrip(t *testing.T) {
	parent := remoteParent(t)
	ts, err := trace.ParseTraceState("k=v")
	if err != nil {
		t.Fatal(err)
	}
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), parent.WithTraceState(ts))
	env := telemetry.TraceEnv(ctx)
	want := []string{"TRACEPARENT=" + traceparentOf(parent), "TRACESTATE=k=v"}
	if strings.Join(env, " ") != strings.Join(want, " ") {
		t.Fatalf("TraceEnv = %v, want %v", env, want)
	}
	lookup := func(k string) (string, bool) {
		for _, kv := range env {
			if name, v, _ := strings.Cut(kv, "="); name == k {
				return v, true
			}
		}
		return "", false
	}
	got := trace.SpanContextFromContext(telemetry.ContextFromEnv(context.Background(), lookup))
	if got.TraceID() != parent.TraceID() || got.SpanID() != parent.SpanID() || !got.IsRemote() || got.TraceState().Get("k") != "v" {
		t.Errorf("ContextFromEnv = %v, want the span context %v", got, parent)
	}
	if env := telemetry.TraceEnv(context.Background()); len(env) != 0 {
		t.Errorf("TraceEnv without a span = %v, want none", env)
	}
}

// FuzzContextFromEnv feeds arbitrary TRACEPARENT and TRACESTATE values, as
// whatever runs an fnmesh program may set them: no panic, and a span
// context it accepts is valid and passed on unchanged.
func FuzzContextFromEnv(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "k=v")
	f.Add("00-00000000000000000000000000000000-0000000000000000-01", "")
	f.Add("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", strings.Repeat("a=b,", 40))
	f.Add("garbage", "%%%")
	f.Fuzz(func(t *testing.T, tp, ts string) {
		lookup := func(k string) (string, bool) {
			switch k {
			case telemetry.EnvTraceparent:
				return tp, true
			case telemetry.EnvTracestate:
				return ts, true
			}
			return "", false
		}
		ctx := telemetry.ContextFromEnv(context.Background(), lookup)
		sc := trace.SpanContextFromContext(ctx)
		if !sc.IsValid() {
			if len(telemetry.TraceEnv(ctx)) != 0 {
				t.Fatalf("TraceEnv of an invalid span context = %v", telemetry.TraceEnv(ctx))
			}
			return
		}
		if !strings.Contains(strings.ToLower(tp), sc.TraceID().String()) || !strings.Contains(strings.ToLower(tp), sc.SpanID().String()) {
			t.Fatalf("span context %v is not the one TRACEPARENT %q names", sc, tp)
		}
		again := trace.SpanContextFromContext(telemetry.ContextFromEnv(context.Background(), func(k string) (string, bool) {
			for _, kv := range telemetry.TraceEnv(ctx) {
				if name, v, _ := strings.Cut(kv, "="); name == k {
					return v, true
				}
			}
			return "", false
		}))
		if again.TraceID() != sc.TraceID() || again.SpanID() != sc.SpanID() || again.TraceFlags() != sc.TraceFlags() || again.TraceState().String() != sc.TraceState().String() {
			t.Fatalf("round trip %v -> %v", sc, again)
		}
	})
}
