package functions

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/cloudevents/sdk-go/v2/event"
)

// ErrPanic is matched (errors.Is) by the error Recover returns for a panic.
var ErrPanic = errors.New("handler panicked")

// PanicError is what a recovered panic becomes.
type PanicError struct {
	// Value is what the handler panicked with.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error describes the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("%v: %v", ErrPanic, e.Value) }

// Is reports whether target is ErrPanic.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// Unwrap returns the panic value when it is an error, so a panic(err) can be
// matched against err.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// Recover turns a panic in the handler into a *PanicError, so one bad event
// does not take the replica and the events it holds down with it. The error
// is retryable: a panic caused by the event itself ends in the dead-letter
// stream after the function's retries, with the panic value as last error.
func Recover() Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, e event.Event) (out []event.Event, err error) {
			defer func() {
				if v := recover(); v != nil {
					out, err = nil, &PanicError{Value: v, Stack: debug.Stack()}
				}
			}()
			return next.Handle(ctx, e)
		})
	}
}
