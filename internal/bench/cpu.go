package bench

import "time"

// cpuMeter measures the CPU time spent between start and stop, summed
// over several intervals (the ingest sides alternate).
type cpuMeter struct {
	total time.Duration
	from  time.Duration
}

func (c *cpuMeter) start() { c.from = cpuClock() }

func (c *cpuMeter) stop() { c.total += cpuClock() - c.from }

// perEvent is the measured CPU time per event in microseconds.
func (c *cpuMeter) perEvent(n int64) float64 {
	if n <= 0 {
		return 0
	}
	return round1(float64(c.total.Microseconds()) / float64(n))
}
