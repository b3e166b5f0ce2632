package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
	// Time zone names resolve the same way on every machine, including
	// minimal images without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
)

// Schedule yields the tick after a given instant; the zero time means there
// is none (robfig gives up after five years).
type Schedule interface {
	// Next returns the first tick strictly after after.
	Next(after time.Time) time.Time
}

// zoneRule is the rule a time zone name breaks.
const zoneRule = "must be an IANA time zone name such as UTC or Europe/Berlin"

// LoadZone returns the IANA time zone name (UTC, Europe/Berlin, ...).
// "Local" is refused: a schedule must mean the same on every machine.
func LoadZone(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" || strings.EqualFold(name, "Local") {
		return nil, errors.New(zoneRule)
	}
	return loc, nil
}

// Parse parses a 5-field cron expression or a descriptor ("@daily",
// "@every 5m") for the zone loc. Errors say which rule spec breaks.
//
// Fixed-time schedules follow the wall clock of loc with the rules of
// Vixie cron at daylight-saving changes: a tick whose local time does not
// exist (spring forward) fires once at the instant the clock jumps, and a
// tick whose local time occurs twice (fall back) fires only the first time.
// Schedules whose hour field is "*" fire every real hour instead, as local
// time passes. "@every" ticks at multiples of the interval counted from the
// Unix epoch, so every process running the same schedule agrees on them.
func Parse(spec string, loc *time.Location) (Schedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("required")
	}
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, errors.New("must not carry a time zone; set timezone instead")
	}
	p := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	s, err := p.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("not a valid schedule: %w", err)
	}
	switch s := s.(type) {
	case cron.ConstantDelaySchedule:
		return everySchedule{every: s.Delay}, nil
	case *cron.SpecSchedule:
		s.Location = loc
		utc := *s
		utc.Location = time.UTC
		const allHours = 1<<24 - 1
		return &zonedSchedule{spec: s, wall: &utc, loc: loc, everyHour: s.Hour&allHours == allHours}, nil
	default:
		return nil, fmt.Errorf("unsupported schedule type %T", s)
	}
}

// everySchedule ticks at the multiples of every since the Unix epoch.
type everySchedule struct {
	every time.Duration
}

// Next implements Schedule.
func (s everySchedule) Next(after time.Time) time.Time {
	unix := after.UnixNano()
	step := s.every.Nanoseconds()
	next := (unix/step + 1) * step
	if unix < 0 && unix%step != 0 {
		next -= step
	}
	return time.Unix(0, next).In(after.Location())
}

// zonedSchedule is a cron expression in a time zone with the Vixie cron
// rules at daylight-saving changes (see Parse).
type zonedSchedule struct {
	// spec is the expression evaluated in loc (robfig's own rules).
	spec *cron.SpecSchedule
	// wall is the same expression on a clock without zone changes; it finds
	// wall-clock times that a spring-forward gap skips.
	wall *cron.SpecSchedule
	loc  *time.Location
	// everyHour is set when the hour field matches every hour; such
	// schedules get no DST adjustment.
	everyHour bool
}

// maxZoneChanges bounds the zone transitions examined for one Next call
// (robfig searches five years ahead; zones change at most a few times a
// year).
const maxZoneChanges = 64

// Next implements Schedule.
func (s *zonedSchedule) Next(after time.Time) time.Time {
	after = after.In(s.loc)
	for range maxZoneChanges {
		next := s.spec.Next(after)
		if next.IsZero() || s.everyHour {
			return next
		}
		if jump, ok := s.skippedTick(after, next); ok {
			return jump
		}
		if !s.repeated(next) {
			return next
		}
		after = next // the second occurrence of a wall-clock time: skip it
	}
	return time.Time{}
}

// skippedTick looks for a spring-forward gap between after (exclusive) and
// next (exclusive) in which the wall clock would have shown a scheduled
// time. It returns the instant the clock jumped (where the skipped tick
// fires).
func (s *zonedSchedule) skippedTick(after, next time.Time) (time.Time, bool) {
	t := after
	for range maxZoneChanges {
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.Before(next) {
			return time.Time{}, false
		}
		if end.After(after) {
			_, before := end.Add(-time.Nanosecond).Zone()
			_, now := end.Zone()
			if gap := time.Duration(now-before) * time.Second; gap > 0 {
				// Wall-clock times [from, from+gap) do not exist.
				from := wallClock(end.Add(-time.Nanosecond)).Truncate(time.Second).Add(time.Second)
				if w := s.wall.Next(from.Add(-time.Second)); !w.IsZero() && w.Before(from.Add(gap)) {
					return end, true
				}
			}
		}
		t = end
	}
	return time.Time{}, false
}

// repeated reports whether t's wall-clock time already occurred earlier
// that day (t falls in the hour a fall-back change repeats).
func (s *zonedSchedule) repeated(t time.Time) bool {
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return false
	}
	_, before := start.Add(-time.Nanosecond).Zone()
	_, now := start.Zone()
	overlap := time.Duration(before-now) * time.Second
	return overlap > 0 && t.Sub(start) < overlap
}

// wallClock returns the local date and time of t as the same numbers in UTC.
func wallClock(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	return time.Date(y, mo, d, h, mi, sec, t.Nanosecond(), time.UTC)
}
