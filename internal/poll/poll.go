// Package poll is the one way the tests of fnmesh wait for something: Until
// polls a condition until it holds or a timeout passes, and fails the test
// with what it was waiting for.
//
// A negative check ("nothing happened") does not belong here: it waits for
// a definite outcome instead (a delivery hook, a consumer's counts), never
// for a quiet interval.
package poll

import (
	"testing"
	"time"
)

// Interval is how often Until evaluates its condition.
const Interval = 20 * time.Millisecond

// Until evaluates cond every Interval until it returns true, and fails t
// with "timed out after <timeout> waiting for <what>" if it has not within
// timeout. cond runs on the test's goroutine.
func Until(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Wait(timeout, cond) {
		t.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
}

// Wait evaluates cond every Interval until it returns true or timeout
// passes, and reports whether it did. It is Until for callers that are not
// tests (benchmarks, helpers that return an error).
func Wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(Interval)
	}
	return true
}
