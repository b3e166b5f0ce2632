package schedule

import (
	"errors"
	"time"
)

// MissedRuns says what happens to the ticks that passed while nothing ran
// the schedule (the process was stopped, or suspended past a tick).
type MissedRuns string

// Missed-run policies.
const (
	// Skip fires none of the missed ticks.
	Skip MissedRuns = "skip"
	// CatchUp fires the most recent missed ticks, oldest first, up to a
	// bound.
	CatchUp MissedRuns = "catchUp"
)

// Check reports a policy that is neither Skip nor CatchUp.
func (p MissedRuns) Check() error {
	if p != Skip && p != CatchUp {
		return errors.New("must be one of " + string(Skip) + ", " + string(CatchUp))
	}
	return nil
}

// Due returns the missed ticks of s in (from, to] that p fires, oldest
// first: none for Skip, the last (at most) max for CatchUp.
func (p MissedRuns) Due(s Schedule, from, to time.Time, max int) []time.Time {
	if p != CatchUp || max <= 0 {
		return nil
	}
	return lastTicks(s, from, to, max)
}

// lastTicks returns the last (at most) n ticks in (from, to], oldest first.
// It searches backwards from to in doubling windows, so a long gap costs
// about as much as the ticks returned.
func lastTicks(s Schedule, from, to time.Time, n int) []time.Time {
	if !to.After(from) {
		return nil
	}
	for span := time.Minute; ; span *= 2 {
		start := to.Add(-span)
		if !start.After(from) || span > 100*365*24*time.Hour {
			start = from
		}
		var ticks []time.Time
		for t := s.Next(start); !t.IsZero() && !t.After(to); t = s.Next(t) {
			ticks = append(ticks, t)
			if len(ticks) > n {
				ticks = ticks[1:]
			}
		}
		if len(ticks) >= n || start.Equal(from) {
			return ticks
		}
	}
}
