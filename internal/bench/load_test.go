package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// A call that fails in the warm-up is one of the calls the failure count
// is of: every worker fails there, and the error says so.
func TestClosedLoopCountsTheFailuresOfEveryCall(t *testing.T) {
	boom := errors.New("boom")
	var lat samples
	_, _, err := closedLoop(t.Context(), 4, 50*time.Millisecond, 50*time.Millisecond,
		func(context.Context) error { return boom }, &lat, nil, &cpuMeter{})
	if !errors.Is(err, boom) || !errors.Is(err, ErrIncomplete) {
		t.Fatalf("err = %v, want the first failure and ErrIncomplete", err)
	}
	if !strings.Contains(err.Error(), "4 of 4 failed") {
		t.Errorf("err = %v, want 4 of 4 failed", err)
	}
}
