package functions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

func TestPermanent(t *testing.T) {
	base := errors.New("order has no items")
	tests := []struct {
		name      string
		err       error
		permanent bool
		is        error
	}{
		{name: "nil", err: nil},
		{name: "plain", err: base, is: base},
		{name: "Permanent(nil)", err: Permanent(nil)},
		{name: "permanent", err: Permanent(base), permanent: true, is: base},
		{name: "wrapped permanent", err: fmt.Errorf("handle: %w", Permanent(base)), permanent: true, is: base},
		{name: "permanent of wrapped", err: Permanent(fmt.Errorf("decode: %w", io.ErrUnexpectedEOF)), permanent: true, is: io.ErrUnexpectedEOF},
		{name: "joined", err: errors.Join(base, Permanent(io.EOF)), permanent: true, is: io.EOF},
		{name: "retry after keeps permanence", err: RetryAfter(Permanent(base), time.Second), permanent: true, is: base},
		{name: "exit code other than ExitPermanent", err: &ExitError{Path: "x", Code: 1, Err: base}, is: base},
		{name: "exit code ExitPermanent", err: &ExitError{Path: "x", Code: ExitPermanent, Err: base}, permanent: true, is: base},
		{name: "Permanent() false", err: notPermanent{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsPermanent(tt.err); got != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", tt.err, got, tt.permanent)
			}
			if tt.is != nil && !errors.Is(tt.err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", tt.err, tt.is)
			}
			// The worker's own check, as the contract spells it.
			var p interface{ Permanent() bool }
			if got := errors.As(tt.err, &p) && p.Permanent(); got != tt.permanent {
				t.Errorf("errors.As permanence = %v, want %v", got, tt.permanent)
			}
		})
	}
	if got := Permanent(base).Error(); got != base.Error() {
		t.Errorf("Permanent(err).Error() = %q, want %q", got, base.Error())
	}
}

type notPermanent struct{}

func (notPermanent) Error() string   { return "not permanent" }
func (notPermanent) Permanent() bool { return false }

func TestRetryAfter(t *testing.T) {
	base := errors.New("rate limited")
	tests := []struct {
		name   string
		err    error
		want   time.Duration
		wantOK bool
	}{
		{name: "plain", err: base},
		{name: "nil", err: RetryAfter(nil, time.Second)},
		{name: "delay", err: RetryAfter(base, 3*time.Second), want: 3 * time.Second, wantOK: true},
		{name: "wrapped", err: fmt.Errorf("call: %w", RetryAfter(base, time.Minute)), want: time.Minute, wantOK: true},
		{name: "negative is zero", err: RetryAfter(base, -time.Second), want: 0, wantOK: true},
		{name: "outermost wins", err: RetryAfter(RetryAfter(base, time.Second), 2*time.Second), want: 2 * time.Second, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r interface{ RetryAfter() time.Duration }
			ok := errors.As(tt.err, &r)
			if ok != tt.wantOK {
				t.Fatalf("errors.As(%v, RetryAfter) = %v, want %v", tt.err, ok, tt.wantOK)
			}
			if ok && r.RetryAfter() != tt.want {
				t.Errorf("RetryAfter() = %s, want %s", r.RetryAfter(), tt.want)
			}
			if tt.err != nil && tt.name != "nil" && !errors.Is(tt.err, base) {
				t.Errorf("errors.Is(%v, base) = false", tt.err)
			}
			if IsPermanent(tt.err) {
				t.Errorf("IsPermanent(%v) = true", tt.err)
			}
		})
	}
	if !errors.Is(RetryAfter(context.DeadlineExceeded, time.Second), context.DeadlineExceeded) {
		t.Error("RetryAfter hides its cause from errors.Is")
	}
}
