package functions

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
)

func TestRecover(t *testing.T) {
	tests := []struct {
		name    string
		handler HandlerFunc
		wantErr string
		is      []error
		outputs int
	}{
		{name: "no panic", handler: func(context.Context, event.Event) ([]event.Event, error) {
			return []event.Event{event.New()}, nil
		}, outputs: 1},
		{name: "error passes through", handler: func(context.Context, event.Event) ([]event.Event, error) {
			return nil, io.EOF
		}, wantErr: "EOF", is: []error{io.EOF}},
		{name: "panic with a string", handler: func(context.Context, event.Event) ([]event.Event, error) {
			panic("boom")
		}, wantErr: "handler panicked: boom", is: []error{ErrPanic}},
		{name: "panic with an error", handler: func(context.Context, event.Event) ([]event.Event, error) {
			panic(io.ErrUnexpectedEOF)
		}, wantErr: "handler panicked: unexpected EOF", is: []error{ErrPanic, io.ErrUnexpectedEOF}},
		{name: "nil map write", handler: func(context.Context, event.Event) ([]event.Event, error) {
			var m map[string]int
			m["x"]++
			return nil, nil
		}, wantErr: "assignment to entry in nil map", is: []error{ErrPanic}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Chain(tt.handler, Recover()).Handle(context.Background(), testEvent(t, "p"))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
			if IsPermanent(err) {
				t.Errorf("a panic must be retryable, IsPermanent(%v) = true", err)
			}
			if len(out) != tt.outputs {
				t.Errorf("outputs = %d, want %d", len(out), tt.outputs)
			}
			var pe *PanicError
			if errors.As(err, &pe) && !strings.Contains(string(pe.Stack), "middleware_recover_test.go") {
				t.Errorf("stack does not show the panicking handler:\n%s", pe.Stack)
			}
		})
	}
}
