package functions

import (
	"context"
	"log/slog"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/workers"
)

// Logging logs one line per handled event: the event's id, type and source,
// how long the handler took and how many events it returned. Records are
// logged with the handler's ctx, so a trace-aware slog.Handler (such as the
// one Serve builds) adds the trace and span ids. Success is logged at Info, a
// retryable error at Warn, a permanent one or one on the last delivery
// attempt (workers.DeliveryFrom) at Error. A nil logger returns the
// handler unchanged.
func Logging(log *slog.Logger) Middleware {
	return func(next Handler) Handler {
		if log == nil {
			return next
		}
		return HandlerFunc(func(ctx context.Context, e event.Event) ([]event.Event, error) {
			start := time.Now()
			out, err := next.Handle(ctx, e)
			attrs := make([]slog.Attr, 0, 6)
			attrs = append(attrs,
				slog.String("event_id", e.ID()),
				slog.String("event_type", e.Type()),
				slog.String("event_source", e.Source()),
				slog.Duration("duration", time.Since(start)),
			)
			switch {
			case err == nil:
				attrs = append(attrs, slog.Int("outputs", len(out)))
				log.LogAttrs(ctx, slog.LevelInfo, "event handled", attrs...)
			case IsPermanent(err):
				attrs = append(attrs, slog.Any("error", err))
				log.LogAttrs(ctx, slog.LevelError, "event failed permanently", attrs...)
			default:
				attrs = append(attrs, slog.Any("error", err))
				if d, ok := retryDelay(err); ok {
					attrs = append(attrs, slog.Duration("retry_after", d))
				}
				if d, ok := workers.DeliveryFrom(ctx); ok && d.IsLast() {
					log.LogAttrs(ctx, slog.LevelError, "event failed on its last attempt", attrs...)
					break
				}
				log.LogAttrs(ctx, slog.LevelWarn, "event failed, will be retried", attrs...)
			}
			return out, err
		})
	}
}
