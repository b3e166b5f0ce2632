package bench

import (
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

	var busy cpuMeter
	busy.start()
	end := time.Now().Add(100 * time.Millisecond)
	x := 0
	for time.Now().Before(end) {
		x++
	}
	busy.stop()
	if busy.total < 50*time.Millisecond {
		t.Fatalf("busy loop of 100ms measured %s of CPU (x=%d)", busy.total, x)
	}
	if idle.total > busy.total/2 {
		t.Fatalf("sleep measured %s of CPU, busy loop %s", idle.total, busy.total)
	}
	if got := busy.perEvent(1000); got < 50 {
		t.Fatalf("perEvent(1000) = %v µs, want at least 50 for %s", got, busy.total)
	}
	if got := busy.perEvent(0); got != 0 {
		t.Fatalf("perEvent(0) = %v, want 0", got)
	}
}
