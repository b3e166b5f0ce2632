// Package schedule turns a cron expression and an IANA time zone into the
// instants it ticks at, and decides which ticks to fire after a gap.
//
// Fixed-time schedules follow the zone's wall clock with the rules of Vixie
// cron at daylight-saving changes (a local time that does not exist fires
// once when the clock jumps, a repeated one fires once); "@every" schedules
// tick at multiples of their interval since the Unix epoch, so that several
// processes agree on the instants. MissedRuns says what a gap (no process
// running, a suspended machine) fires: nothing, or the most recent ticks up
// to a bound.
//
// The package holds the rules of the cron settings that the mesh file's
// validation shares with the cron trigger; it depends on robfig/cron and
// the standard library only.
package schedule
