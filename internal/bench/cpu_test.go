package bench

import (
	"runtime"
	"testing"
	"time"
)

// TestCPUMeterCountsWork burns CPU between start and stop and wants the
// meter to see most of it, and nothing while the process sleeps.
func TestCPUMeterCountsWork(t *testing.T) {
	var idle cpuMeter
	idle.start()
	time.Sleep(50 * time.Millisecond)
	idle.stop()

	// Busy until the process clock shows 60ms more (the machine may be
	// shared: wall time says little), then the meter must agree and stay
	// within what the elapsed time allows.
	var busy cpuMeter
	t0, c0 := time.Now(), cpuClock()
	busy.start()
	x := 0
	// The loop runs to 61ms: the meter (getrusage, µs) and cpuClock round
	// differently, and 60ms on one clock read 59.999ms on the other.
	for cpuClock()-c0 < 61*time.Millisecond && time.Since(t0) < 20*time.Second {
		x++
	}
	busy.stop()
	wall := time.Since(t0)
	if busy.total < 60*time.Millisecond {
		t.Fatalf("busy loop measured %s of CPU in %s (x=%d)", busy.total, wall, x)
	}
	if limit := wall*time.Duration(runtime.NumCPU()) + 20*time.Millisecond; busy.total > limit {
		t.Fatalf("busy loop measured %s of CPU in %s of wall time on %d CPUs", busy.total, wall, runtime.NumCPU())
	}
	if idle.total > busy.total/2 {
		t.Fatalf("sleep measured %s of CPU, busy loop %s", idle.total, busy.total)
	}
	if got := busy.perEvent(1000); got < 60 {
		t.Fatalf("perEvent(1000) = %v µs, want at least 60 for %s", got, busy.total)
	}
	if got := busy.perEvent(0); got != 0 {
		t.Fatalf("perEvent(0) = %v, want 0", got)
	}
}
