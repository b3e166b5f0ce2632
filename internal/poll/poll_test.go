package poll_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/internal/poll"
)

func TestUntilReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	poll.Until(t, 5*time.Second, "three calls", func() bool { return n.Add(1) >= 3 })
	if got := n.Load(); got != 3 {
		t.Fatalf("cond called %d times, want 3", got)
	}
}

func TestWaitGivesUpAfterTheTimeout(t *testing.T) {
	start := time.Now()
	if poll.Wait(50*time.Millisecond, func() bool { return false }) {
		t.Fatal("Wait reported success for a condition that never holds")
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Fatalf("Wait returned after %s, before its timeout", el)
	}
}

func ExampleWait() {
	ready := make(chan struct{})
	close(ready)
	ok := poll.Wait(time.Second, func() bool {
		select {
		case <-ready:
			return true
		default:
			return false
		}
	})
	fmt.Println(ok)
	// Output: true
}
