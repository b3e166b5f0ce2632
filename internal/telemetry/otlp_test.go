package telemetry_test

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/fnmesh/fnmesh/internal/telemetry"
)

// otlpSink is an OTLP/HTTP receiver: it accepts POST /v1/traces and
// /v1/metrics in protobuf and keeps what it decoded.
type otlpSink struct {
	*httptest.Server

	mu      sync.Mutex
	traces  []*coltracepb.ExportTraceServiceRequest
	metrics []*colmetricpb.ExportMetricsServiceRequest
	errs    []string
}

func newOTLPSink(t *testing.T) *otlpSink {
	t.Helper()
	s := &otlpSink{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		req := &coltracepb.ExportTraceServiceRequest{}
		if !s.decode(w, r, req) {
			return
		}
		s.mu.Lock()
		s.traces = append(s.traces, req)
		s.mu.Unlock()
		s.answer(w, &coltracepb.ExportTraceServiceResponse{})
	})
	mux.HandleFunc("POST /v1/metrics", func(w http.ResponseWriter, r *http.Request) {
		req := &colmetricpb.ExportMetricsServiceRequest{}
		if !s.decode(w, r, req) {
			return
		}
		s.mu.Lock()
		s.metrics = append(s.metrics, req)
		s.mu.Unlock()
		s.answer(w, &colmetricpb.ExportMetricsServiceResponse{})
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *otlpSink) decode(w http.ResponseWriter, r *http.Request, m proto.Message) bool {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			s.fail(w, "gzip: "+err.Error())
			return false
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		s.fail(w, "read: "+err.Error())
		return false
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		s.fail(w, "content type "+ct)
		return false
	}
	if err := proto.Unmarshal(b, m); err != nil {
		s.fail(w, "unmarshal: "+err.Error())
		return false
	}
	return true
}

func (s *otlpSink) fail(w http.ResponseWriter, msg string) {
	s.mu.Lock()
	s.errs = append(s.errs, msg)
	s.mu.Unlock()
	http.Error(w, msg, http.StatusBadRequest)
}

func (s *otlpSink) answer(w http.ResponseWriter, m proto.Message) {
	b, _ := proto.Marshal(m)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b)
}

// spans returns every span received with the resource it came with.
func (s *otlpSink) spans() []receivedSpan {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []receivedSpan
	for _, req := range s.traces {
		for _, rs := range req.GetResourceSpans() {
			res := attrMap(rs.GetResource().GetAttributes())
			for _, ss := range rs.GetScopeSpans() {
				for _, sp := range ss.GetSpans() {
					out = append(out, receivedSpan{span: sp, resource: res, scope: ss.GetScope().GetName()})
				}
			}
		}
	}
	return out
}

// metricNames lists the names of the metrics received.
func (s *otlpSink) metricNames() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := map[string]bool{}
	for _, req := range s.metrics {
		for _, rm := range req.GetResourceMetrics() {
			for _, sm := range rm.GetScopeMetrics() {
				for _, m := range sm.GetMetrics() {
					names[m.GetName()] = true
				}
			}
		}
	}
	return names
}

type receivedSpan struct {
	span     *tracepb.Span
	resource map[string]string
	scope    string
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[kv.GetKey()] = kv.GetValue().GetStringValue()
	}
	return m
}

// clearOTelEnv removes every OTEL_* variable for the duration of the test,
// so the machine's environment cannot steer Setup.
func clearOTelEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "OTEL_") {
			t.Setenv(k, "") // restores the value at the end of the test
			if err := os.Unsetenv(k); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestSetupExportsOverOTLP(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		wantService string
		wantAttrs   map[string]string
	}{
		{
			name:        "service name from Setup",
			wantService: "svc",
			wantAttrs:   map[string]string{"service.namespace": "fnmesh"},
		},
		{
			name:        "OTEL_SERVICE_NAME overrides",
			env:         map[string]string{"OTEL_SERVICE_NAME": "billing"},
			wantService: "billing",
		},
		{
			name: "OTEL_RESOURCE_ATTRIBUTES adds attributes",
			env: map[string]string{
				"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=test,team=payments",
			},
			wantService: "svc",
			wantAttrs:   map[string]string{"deployment.environment.name": "test", "team": "payments"},
		},
		{
			name:        "gzip compression",
			env:         map[string]string{"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"},
			wantService: "svc",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearOTelEnv(t)
			sink := newOTLPSink(t)
			t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", sink.URL)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			ctx := context.Background()
			tel, err := telemetry.Setup(ctx, "svc")
			if err != nil {
				t.Fatalf("Setup: %v", err)
			}
			if !tel.Recording {
				t.Fatal("Recording = false with an OTLP exporter configured")
			}
			_, end := tel.Deliver(ctx, "fulfil", nil, testEvent("e-1"), 1)
			end("ok", nil)
			if err := tel.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if len(sink.errs) > 0 {
				t.Fatalf("receiver errors: %v", sink.errs)
			}
			spans := sink.spans()
			if len(spans) != 1 {
				t.Fatalf("received %d spans, want 1", len(spans))
			}
			got := spans[0]
			if got.span.GetName() != "process fulfil" || got.span.GetKind() != tracepb.Span_SPAN_KIND_CONSUMER {
				t.Errorf("span %q kind %v, want %q consumer", got.span.GetName(), got.span.GetKind(), "process fulfil")
			}
			if got.scope != telemetry.ScopeName {
				t.Errorf("scope %q, want %q", got.scope, telemetry.ScopeName)
			}
			if s := got.resource["service.name"]; s != tt.wantService {
				t.Errorf("service.name = %q, want %q", s, tt.wantService)
			}
			for k, want := range tt.wantAttrs {
				if v := got.resource[k]; v != want {
					t.Errorf("resource %s = %q, want %q", k, v, want)
				}
			}
		})
	}
}

func TestSetupPushesMetricsOverOTLP(t *testing.T) {
	clearOTelEnv(t)
	sink := newOTLPSink(t)
	t.Setenv("OTEL_METRICS_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", sink.URL+"/v1/metrics")
	ctx := context.Background()
	tel, err := telemetry.Setup(ctx, "svc")
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	if tel.Recording {
		t.Error("Recording = true with only a metrics exporter configured")
	}
	_, end := tel.Deliver(ctx, "fulfil", nil, testEvent("e-1"), 1)
	end("ok", nil)
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	names := sink.metricNames()
	for _, want := range []string{"fnmesh.events.delivered", "fnmesh.events.processed", "fnmesh.handler.duration"} {
		if !names[want] {
			t.Errorf("metric %s not pushed; got %v", want, names)
		}
	}
	if len(sink.spans()) != 0 {
		t.Errorf("spans exported without a trace exporter: %d", len(sink.spans()))
	}
}
