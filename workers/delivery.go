package workers

import "context"

// DeliveryAttempt is the delivery attempt of the event a handler is called
// with; DeliveryFrom reads it from the handler's context.
type DeliveryAttempt struct {
	// Attempt is the delivery attempt, 1 for the first.
	Attempt uint64
	// Last is the last attempt allowed; a retryable error on it
	// dead-letters the event instead of retrying it.
	Last uint64
}

// IsLast reports whether a failure now is not retried.
func (d DeliveryAttempt) IsLast() bool { return d.Attempt >= d.Last }

type deliveryKey struct{}

// DeliveryFrom returns the delivery attempt of the event a handler was
// called with, and false when ctx is not a handler's context.
func DeliveryFrom(ctx context.Context) (DeliveryAttempt, bool) {
	d, ok := ctx.Value(deliveryKey{}).(DeliveryAttempt)
	return d, ok
}

func withDelivery(ctx context.Context, d DeliveryAttempt) context.Context {
	return context.WithValue(ctx, deliveryKey{}, d)
}
