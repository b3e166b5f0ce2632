package bench

import "time"

// cpuMeter measures the CPU time spent, and the write system calls made,
// between start and stop, summed over several intervals (the ingest sides
// alternate).
type cpuMeter struct {
	total        time.Duration
	from         time.Duration
	writes, wrom int64
}

func (c *cpuMeter) start() { c.from, c.wrom = cpuClock(), writeSyscalls() }

func (c *cpuMeter) stop() {
	c.total += cpuClock() - c.from
	c.writes += writeSyscalls() - c.wrom
}

// writesPerEvent is the write system calls per event, the broker's (its
// store's included) and the clients' together: how well the messages and
// acks of a side are coalesced.
func (c *cpuMeter) writesPerEvent(n int64) float64 {
	if n <= 0 {
		return 0
	}
	return round3(float64(c.writes) / float64(n))
}

// perEvent is the measured CPU time per event in microseconds.
func (c *cpuMeter) perEvent(n int64) float64 {
	if n <= 0 {
		return 0
	}
	return round1(float64(c.total.Microseconds()) / float64(n))
}
