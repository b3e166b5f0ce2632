package triggers

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestCronMissedRuns(t *testing.T) {
	last := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	restart := time.Date(2025, 1, 1, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		name       string
		missedRuns string
		maxCatchUp int
		last       time.Time
		start      time.Time
		want       []string
	}{
		{
			name: "catch up replays the most recent missed ticks, oldest first", missedRuns: MissedRunsCatchUp, maxCatchUp: 3,
			last: last, start: restart,
			want: []string{"2025-01-01T08:00:00Z", "2025-01-01T09:00:00Z", "2025-01-01T10:00:00Z", "2025-01-01T11:00:00Z"},
		},
		{
			name: "catch up with fewer missed ticks than the bound", missedRuns: MissedRunsCatchUp, maxCatchUp: 10,
			last: time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC), start: restart,
			want: []string{"2025-01-01T09:00:00Z", "2025-01-01T10:00:00Z", "2025-01-01T11:00:00Z"},
		},
		{
			name: "skip replays nothing", missedRuns: MissedRunsSkip,
			last: last, start: restart,
			want: []string{"2025-01-01T11:00:00Z", "2025-01-01T12:00:00Z"},
		},
		{
			name: "a tick that passed while nothing ran is missed, however recent: skip fires nothing", missedRuns: MissedRunsSkip,
			last: time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC), start: time.Date(2025, 1, 1, 10, 0, 30, 0, time.UTC),
			want: []string{"2025-01-01T11:00:00Z", "2025-01-01T12:00:00Z"},
		},
		{
			name: "a recent missed tick is caught up with catchUp", missedRuns: MissedRunsCatchUp, maxCatchUp: 3,
			last: time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC), start: time.Date(2025, 1, 1, 10, 0, 30, 0, time.UTC),
			want: []string{"2025-01-01T10:00:00Z", "2025-01-01T11:00:00Z"},
		},
		{
			name: "first start ever replays nothing", missedRuns: MissedRunsCatchUp,
			start: restart,
			want:  []string{"2025-01-01T11:00:00Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTrEnv(t, 0)
			state := env.bucket(t, env.client, CronBucket, 0)
			if !tt.last.IsZero() {
				if _, err := state.Put(context.Background(), "nightly", []byte(tt.last.Format(time.RFC3339))); err != nil {
					t.Fatal(err)
				}
			}
			cfg := cronTrigger("0 * * * *", "UTC", func(c *CronConfig) {
				c.MissedRuns, c.MaxCatchUp = tt.missedRuns, tt.maxCatchUp
			})
			rc := startCron(t, cfg, env.client, state, tt.start, 2*time.Hour)
			rc.until(t, int64(len(tt.want)))
			got := ticks(t, env.events(t))
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("emitted\n  %v\nwant\n  %v", got, tt.want)
			}
			entry, err := state.Get(context.Background(), "nightly")
			if err != nil {
				t.Fatal(err)
			}
			if string(entry.Value()) != tt.want[len(tt.want)-1] {
				t.Errorf("recorded last tick %s, want %s", entry.Value(), tt.want[len(tt.want)-1])
			}
		})
	}
}

// TestCronMissedRunsOfAFrequentSchedule restarts an "@every 10s" trigger
// after 2.5 minutes down (15 ticks missed), and suspends a running one for
// as long: skip fires none of the missed ticks, catchUp fires exactly
// maxCatchUp of them, and then the trigger goes on on time.
func TestCronMissedRunsOfAFrequentSchedule(t *testing.T) {
	last := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		missedRuns string
		suspend    bool // running from last, then the clock jumps; else a restart
		want       []string
	}{
		{name: "restart, skip", missedRuns: MissedRunsSkip,
			want: []string{"00:02:40", "00:02:50"}},
		{name: "restart, catch up 3", missedRuns: MissedRunsCatchUp,
			want: []string{"00:02:10", "00:02:20", "00:02:30", "00:02:40", "00:02:50"}},
		{name: "suspended, skip", missedRuns: MissedRunsSkip, suspend: true,
			want: []string{"00:02:40", "00:02:50"}},
		{name: "suspended, catch up 3", missedRuns: MissedRunsCatchUp, suspend: true,
			want: []string{"00:02:10", "00:02:20", "00:02:30", "00:02:40", "00:02:50"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTrEnv(t, 0)
			state := env.bucket(t, env.client, CronBucket, 0)
			if _, err := state.Put(context.Background(), "nightly", []byte(last.Format(time.RFC3339))); err != nil {
				t.Fatal(err)
			}
			cfg := cronTrigger("@every 10s", "UTC", func(c *CronConfig) { c.MissedRuns, c.MaxCatchUp = tt.missedRuns, 3 })
			start := last.Add(150*time.Second + 5*time.Second)
			if tt.suspend {
				start = last.Add(5 * time.Second)
			}
			rc := startCron(t, cfg, env.client, state, start, 0)
			if tt.suspend {
				rc.clock.idle(t)
				rc.clock.jump(t, 150*time.Second)
			}
			rc.until(t, int64(len(tt.want)))
			var got []string
			for _, tick := range ticks(t, env.events(t)) {
				got = append(got, tick[len("2025-01-01T"):len(tick)-1])
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("emitted\n  %v\nwant\n  %v", got, tt.want)
			}
		})
	}
}

// TestCronSecondProcessStartsFromTheFirstsState starts a second process
// while the first is running: it reads the tick the first one stored, fires
// nothing for the past, and the ticks both fire are stored once.
func TestCronSecondProcessStartsFromTheFirstsState(t *testing.T) {
	for _, policy := range []string{MissedRunsSkip, MissedRunsCatchUp} {
		t.Run(policy, func(t *testing.T) {
			env := newTrEnv(t, 0)
			cfg := cronTrigger("*/15 * * * *", "UTC", func(c *CronConfig) { c.MissedRuns = policy })
			c1, c2 := env.newClient(t), env.newClient(t)
			a := startCron(t, cfg, c1, env.bucket(t, c1, CronBucket, 0), time.Date(2025, 5, 5, 9, 59, 0, 0, time.UTC), time.Hour)
			a.until(t, 2) // 10:00 and 10:15 stored and recorded
			b := startCron(t, cfg, c2, env.bucket(t, c2, CronBucket, 0), time.Date(2025, 5, 5, 10, 16, 0, 0, time.UTC), time.Hour)
			b.clock.idle(t)
			a.until(t, 3)
			b.until(t, 1)
			if got := ticks(t, env.events(t)); strings.Join(got, " ") != "2025-05-05T10:00:00Z 2025-05-05T10:15:00Z 2025-05-05T10:30:00Z" {
				t.Errorf("stored %v, want each tick once", got)
			}
			if n, d := b.pub.n.Load(), b.pub.dups.Load(); n != 1 || d != 1 {
				t.Errorf("second process published %d (%d duplicates), want only the 10:30 tick, a duplicate", n, d)
			}
		})
	}
}
