//go:build unix

package bench

import (
	"syscall"
	"time"
)

// cpuClock reads the CPU time (user plus system) the process has used,
// its reaped child processes included. Both sides of a scenario run in
// one process with the embedded broker, so a side's figure includes the
// broker's work for it; the two sides are measured alike.
func cpuClock() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			continue
		}
		total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return total
}
