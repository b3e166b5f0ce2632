package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/fnmesh/fnmesh/internal/telemetry"
)

func TestNewLoggerRejectsBadSettings(t *testing.T) {
	tests := []struct {
		name, level, format string
		wantInErr           string
	}{
		{name: "level", level: "loud", format: "text", wantInErr: `FNMESH_LOG_LEVEL "loud": must be debug, info, warn or error`},
		{name: "format", level: "info", format: "xml", wantInErr: `FNMESH_LOG_FORMAT "xml": must be text or json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := telemetry.NewLogger(&bytes.Buffer{}, tt.level, tt.format)
			if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantInErr)
			}
		})
	}
}

func TestLoggerAddsTraceIDs(t *testing.T) {
	sc := remoteParent(t)
	tests := []struct {
		name     string
		format   string
		ctx      context.Context
		wantIDs  bool
		contains []string
	}{
		{name: "json in a span", format: "json", ctx: trace.ContextWithSpanContext(context.Background(), sc), wantIDs: true},
		{name: "json outside a span", format: "json", ctx: context.Background()},
		{name: "text in a span", format: "text", ctx: trace.ContextWithSpanContext(context.Background(), sc),
			contains: []string{"trace_id=" + sc.TraceID().String(), "span_id=" + sc.SpanID().String()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := telemetry.NewLogger(&buf, "debug", tt.format)
			if err != nil {
				t.Fatal(err)
			}
			log.With("function", "fulfil").WithGroup("g").InfoContext(tt.ctx, "handled", "n", 1)
			for _, s := range tt.contains {
				if !strings.Contains(buf.String(), s) {
					t.Errorf("line %q lacks %q", buf.String(), s)
				}
			}
			if tt.format != "json" {
				return
			}
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("not JSON: %q: %v", buf.String(), err)
			}
			// WithGroup nests the record's own attributes; the ids land in the group too.
			g, _ := rec["g"].(map[string]any)
			_, has := g["trace_id"]
			if has != tt.wantIDs {
				t.Fatalf("trace_id present = %v, want %v: %s", has, tt.wantIDs, buf.String())
			}
			if tt.wantIDs && (g["trace_id"] != sc.TraceID().String() || g["span_id"] != sc.SpanID().String()) {
				t.Errorf("ids %v/%v, want %s/%s", g["trace_id"], g["span_id"], sc.TraceID(), sc.SpanID())
			}
		})
	}
}

func TestTraceHandlerHonoursLevel(t *testing.T) {
	var buf bytes.Buffer
	log, err := telemetry.NewLogger(&buf, "warn", "text")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("dropped")
	if !log.Enabled(context.Background(), slog.LevelWarn) || log.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("level not applied")
	}
	if buf.Len() != 0 {
		t.Errorf("info line written at warn level: %q", buf.String())
	}
}
