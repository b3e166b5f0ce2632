package telemetry_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/fnmesh/fnmesh/internal/telemetry"
)

// A producer span is injected into the NATS headers by BeforePublish; the
// worker's Deliver continues it in a consumer span.
func ExampleTelemetry_Deliver() {
	rec := tracetest.NewSpanRecorder()
	tel, err := telemetry.NewForTest(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)), nil)
	if err != nil {
		panic(err)
	}
	e := event.New()
	e.SetID("1")
	e.SetSource("/shop")
	e.SetType("com.example.order.created")

	msg := nats.NewMsg("events.com.example.order.created")
	_, sent := tel.BeforePublish(context.Background(), &e, msg)
	sent(nil) // the PubAck arrived

	ctx, done := tel.Deliver(context.Background(), "fulfil-order", msg.Header, &e, 1)
	// ... the handler runs with ctx ...
	_ = ctx
	done("ok", nil)

	for _, s := range rec.Ended() {
		fmt.Println(s.SpanKind(), s.Name())
	}
	send, process := rec.Ended()[0], rec.Ended()[1]
	fmt.Println("same trace:", send.SpanContext().TraceID() == process.SpanContext().TraceID())
	fmt.Println("child of the producer:", process.Parent().SpanID() == send.SpanContext().SpanID())
	// Output:
	// producer send events.com.example.order.created
	// consumer process fulfil-order
	// same trace: true
	// child of the producer: true
}

// HTTP names each server span after the route that matched.
func ExampleTelemetry_HTTP() {
	rec := tracetest.NewSpanRecorder()
	tel, err := telemetry.NewForTest(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)), nil)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/{provider}", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	})
	tel.HTTP(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/hooks/github", nil))
	fmt.Println(rec.Ended()[0].Name())
	// Output: POST /hooks/{provider}
}

// TraceHandler adds the ids of the span in the record's context.
func ExampleTraceHandler() {
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	log := slog.New(telemetry.TraceHandler{Handler: slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime})})

	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))

	log.InfoContext(ctx, "event handled", "event_id", "1")
	log.Info("no span here")
	// Output:
	// level=INFO msg="event handled" event_id=1 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7
	// level=INFO msg="no span here"
}

// Setup reads the OTEL_* environment; with none set nothing is exported
// and /metrics is still served.
func ExampleSetup() {
	os.Unsetenv("OTEL_TRACES_EXPORTER")
	os.Unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	os.Unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	tel, err := telemetry.Setup(context.Background(), "fnmesh")
	if err != nil {
		panic(err)
	}
	defer tel.Shutdown(context.Background())
	fmt.Println("recording:", tel.Recording)
	fmt.Println("metrics served:", tel.MetricsHandler != nil)
	// Output:
	// recording: false
	// metrics served: true
}
