package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

func TestLogging(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		outputs   int
		wantLevel string
		wantMsg   string
		wantAttrs map[string]any
	}{
		{name: "ok", outputs: 2, wantLevel: "INFO", wantMsg: "event handled",
			wantAttrs: map[string]any{"outputs": float64(2)}},
		{name: "retryable", err: errors.New("db down"), wantLevel: "WARN", wantMsg: "event failed, will be retried",
			wantAttrs: map[string]any{"error": "db down"}},
		{name: "retry after", err: RetryAfter(errors.New("busy"), 5*time.Second), wantLevel: "WARN", wantMsg: "event failed, will be retried",
			wantAttrs: map[string]any{"error": "busy", "retry_after": float64(5 * time.Second)}},
		{name: "permanent", err: Permanent(errors.New("bad order")), wantLevel: "ERROR", wantMsg: "event failed permanently",
			wantAttrs: map[string]any{"error": "bad order"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, nil))
			h := HandlerFunc(func(context.Context, event.Event) ([]event.Event, error) {
				return make([]event.Event, tt.outputs), tt.err
			})
			out, err := Chain(h, Logging(log)).Handle(context.Background(), testEvent(t, "evt-7"))
			if !errors.Is(err, tt.err) || len(out) != tt.outputs {
				t.Fatalf("Handle = %d events, %v; the handler's result was changed", len(out), err)
			}
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("want exactly one JSON log line, got %q: %v", buf.String(), err)
			}
			want := map[string]any{
				"level": tt.wantLevel, "msg": tt.wantMsg,
				"event_id": "evt-7", "event_type": "com.example.order.created", "event_source": "/test/source",
			}
			for k, v := range tt.wantAttrs {
				want[k] = v
			}
			for k, v := range want {
				if rec[k] != v {
					t.Errorf("%s = %v, want %v (line %s)", k, rec[k], v, buf.String())
				}
			}
			if _, ok := rec["duration"]; !ok {
				t.Errorf("no duration in %s", buf.String())
			}
		})
	}
}

func TestLoggingNilLogger(t *testing.T) {
	h := HandlerFunc(func(context.Context, event.Event) ([]event.Event, error) { return nil, nil })
	if got := Logging(nil)(h); got == nil {
		t.Fatal("Logging(nil) returned a nil handler")
	}
	if _, err := Chain(h, Logging(nil)).Handle(context.Background(), testEvent(t, "x")); err != nil {
		t.Fatal(err)
	}
}
