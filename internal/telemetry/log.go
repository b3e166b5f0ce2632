package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// NewLogger builds the process logger: text or JSON, at the given level,
// adding trace_id and span_id to every record written inside a span.
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("FNMESH_LOG_LEVEL %q: must be debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch strings.ToLower(format) {
	case "", "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("FNMESH_LOG_FORMAT %q: must be text or json", format)
	}
	return slog.New(TraceHandler{h}), nil
}

// TraceHandler adds trace_id and span_id attributes to records logged with a
// context that carries a valid span (use the *Context logging methods, or
// Log and LogAttrs, with the handler's ctx). Like every attribute of a
// record, they land inside the innermost group opened with WithGroup.
type TraceHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (t TraceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return t.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (t TraceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return TraceHandler{t.Handler.WithAttrs(as)}
}

// WithGroup implements slog.Handler.
func (t TraceHandler) WithGroup(name string) slog.Handler {
	return TraceHandler{t.Handler.WithGroup(name)}
}
