package functions

import (
	"context"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
)

// tag is a middleware that records its name before and after the handler.
func tag(name string, trail *[]string) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, e event.Event) ([]event.Event, error) {
			*trail = append(*trail, name+">")
			out, err := next.Handle(ctx, e)
			*trail = append(*trail, "<"+name)
			return out, err
		})
	}
}

func TestChain(t *testing.T) {
	tests := []struct {
		name  string
		mw    []string
		nilMW bool
		want  string
	}{
		{name: "none", want: "h"},
		{name: "one", mw: []string{"a"}, want: "a> h <a"},
		{name: "first is outermost", mw: []string{"a", "b", "c"}, want: "a> b> c> h <c <b <a"},
		{name: "nil middleware skipped", mw: []string{"a"}, nilMW: true, want: "a> h <a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var trail []string
			h := HandlerFunc(func(ctx context.Context, e event.Event) ([]event.Event, error) {
				trail = append(trail, "h")
				out := event.New()
				out.SetType("reply." + e.ID())
				return []event.Event{out}, nil
			})
			var mws []Middleware
			for _, n := range tt.mw {
				mws = append(mws, tag(n, &trail))
			}
			if tt.nilMW {
				mws = append(mws, nil)
			}
			out, err := Chain(h, mws...).Handle(context.Background(), testEvent(t, "x"))
			if err != nil || len(out) != 1 || out[0].Type() != "reply.x" {
				t.Fatalf("Handle = %v, %v; the handler's result was not passed through", out, err)
			}
			if got := strings.Join(trail, " "); got != tt.want {
				t.Errorf("order = %q, want %q", got, tt.want)
			}
		})
	}
}
