package telemetry_test

import (
	"context"
	"github.com/fnmesh/fnmesh/internal/telemetry/telemetrytest"
	"testing"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnmesh/fnmesh/internal/telemetry"
)

func TestSetupWithoutExporterRecordsNothing(t *testing.T) {
	tests := []struct {
		name string
		// env is applied after every OTEL_* variable was removed; the
		// sink's URL replaces "SINK".
		env map[string]string
	}{
		{name: "no variables"},
		{name: "protocol alone", env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}},
		{name: "exporter none wins over an endpoint", env: map[string]string{
			"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "SINK",
		}},
		{name: "OTEL_SDK_DISABLED", env: map[string]string{
			"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "SINK",
			"OTEL_METRICS_EXPORTER": "otlp",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearOTelEnv(t)
			sink := newOTLPSink(t)
			for k, v := range tt.env {
				if v == "SINK" {
					v = sink.URL
				}
				t.Setenv(k, v)
			}
			ctx := context.Background()
			tel, err := telemetry.Setup(ctx, "svc")
			if err != nil {
				t.Fatalf("Setup: %v", err)
			}
			if tel.Recording {
				t.Error("Recording = true without an exporter")
			}
			if tel.MetricsHandler == nil {
				t.Error("MetricsHandler is nil; /metrics must be served anyway")
			}

			// A caller's trace context still passes through: the producer
			// hook forwards the incoming traceparent unchanged.
			incoming := remoteParent(t)
			msg := nats.NewMsg("events.com.example.order.created")
			pctx, end := tel.BeforePublish(trace.ContextWithRemoteSpanContext(ctx, incoming), testEvent("e-1"), msg)
			end(nil)
			if trace.SpanFromContext(pctx).IsRecording() {
				t.Error("producer span is recording")
			}
			if got, want := msg.Header.Get("traceparent"), traceparentOf(incoming); got != want {
				t.Errorf("traceparent = %q, want the caller's %q", got, want)
			}
			dctx, done := tel.Deliver(ctx, "fulfil", msg.Header, testEvent("e-1"), 1)
			done("ok", nil)
			if sc := trace.SpanContextFromContext(dctx); sc.TraceID() != incoming.TraceID() {
				t.Errorf("delivery trace id %s, want %s", sc.TraceID(), incoming.TraceID())
			}

			if err := tel.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if err := tel.Shutdown(ctx); err != nil {
				t.Fatalf("second Shutdown: %v", err)
			}
			if n := len(sink.spans()); n != 0 {
				t.Errorf("%d spans exported", n)
			}
			if n := len(sink.metricNames()); n != 0 {
				t.Errorf("%d metrics pushed", n)
			}
		})
	}
}

func TestSetupRejectsUnknownExporter(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_TRACES_EXPORTER", "carrier-pigeon")
	if _, err := telemetry.Setup(context.Background(), "svc"); err == nil {
		t.Fatal("Setup accepted OTEL_TRACES_EXPORTER=carrier-pigeon")
	}
}

func TestMetricsHandlerServesPrometheusText(t *testing.T) {
	clearOTelEnv(t)
	tel, err := telemetry.Setup(context.Background(), "svc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	tel.CountReceived(context.Background(), "orders", "accepted", 3)
	tel.CountReceived(context.Background(), "orders", "rejected", 1)
	fams := telemetrytest.Scrape(t, tel.MetricsHandler)
	if got := telemetrytest.SampleValue(fams, "fnmesh_events_received_total", "trigger", "orders", "outcome", "accepted"); got != 3 {
		t.Errorf("fnmesh_events_received_total{accepted} = %v, want 3", got)
	}
	if got := telemetrytest.SampleValue(fams, "fnmesh_events_received_total", "trigger", "orders", "outcome", "rejected"); got != 1 {
		t.Errorf("fnmesh_events_received_total{rejected} = %v, want 1", got)
	}
}
