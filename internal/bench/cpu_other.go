//go:build !unix

package bench

import "time"

// cpuClock is not measured on this system: CPU figures read 0.
func cpuClock() time.Duration { return 0 }
