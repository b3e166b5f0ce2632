package schedule_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/triggers/schedule"
)

func TestParseErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{spec: "", want: "required"},
		{spec: "  ", want: "required"},
		{spec: "TZ=UTC 0 * * * *", want: "must not carry a time zone; set timezone instead"},
		{spec: "CRON_TZ=UTC 0 * * * *", want: "must not carry a time zone; set timezone instead"},
		{spec: "61 * * * *", want: "not a valid schedule: end of range (61) above maximum (59): 61"},
		{spec: "0 0 * * * *", want: "not a valid schedule: expected exactly 5 fields, found 6: [0 0 * * * *]"},
	}
	for _, tt := range tests {
		_, err := schedule.Parse(tt.spec, time.UTC)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) = %v, want %q", tt.spec, err, tt.want)
		}
	}
}

func TestLoadZone(t *testing.T) {
	if loc, err := schedule.LoadZone("Europe/Berlin"); err != nil || loc.String() != "Europe/Berlin" {
		t.Errorf("LoadZone(Europe/Berlin) = %v, %v", loc, err)
	}
	for _, name := range []string{"", "Local", "local", "Mars/Olympus"} {
		if _, err := schedule.LoadZone(name); err == nil || err.Error() != "must be an IANA time zone name such as UTC or Europe/Berlin" {
			t.Errorf("LoadZone(%q) = %v, want the zone rule", name, err)
		}
	}
}

func TestMissedRunsDue(t *testing.T) {
	every, err := schedule.Parse("@every 10s", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	last := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	restart := last.Add(150 * time.Second) // 15 ticks missed
	tests := []struct {
		name   string
		policy schedule.MissedRuns
		max    int
		from   time.Time
		want   string
	}{
		{name: "skip", policy: schedule.Skip, max: 3, from: last, want: ""},
		{name: "catch up to the bound", policy: schedule.CatchUp, max: 3, from: last, want: "00:02:10 00:02:20 00:02:30"},
		{name: "catch up fewer than the bound", policy: schedule.CatchUp, max: 10, from: restart.Add(-25 * time.Second), want: "00:02:10 00:02:20 00:02:30"},
		{name: "nothing missed", policy: schedule.CatchUp, max: 3, from: restart, want: ""},
		{name: "bound zero", policy: schedule.CatchUp, max: 0, from: last, want: ""},
	}
	for _, tt := range tests {
		var got []string
		for _, tick := range tt.policy.Due(every, tt.from, restart, tt.max) {
			got = append(got, tick.Format("15:04:05"))
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s: due %v, want %q", tt.name, got, tt.want)
		}
	}
}

func TestMissedRunsCheck(t *testing.T) {
	for _, p := range []schedule.MissedRuns{schedule.Skip, schedule.CatchUp} {
		if err := p.Check(); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, p := range []schedule.MissedRuns{"", "all", "Skip"} {
		if err := p.Check(); err == nil || err.Error() != "must be one of skip, catchUp" {
			t.Errorf("%q: %v, want the list of policies", p, err)
		}
	}
}

// A daily schedule in Berlin across the spring-forward change: the 02:30
// that does not exist fires when the clock jumps to 03:00.
func ExampleParse() {
	berlin, _ := schedule.LoadZone("Europe/Berlin")
	s, err := schedule.Parse("30 2 * * *", berlin)
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2025, 3, 28, 12, 0, 0, 0, berlin)
	for range 3 {
		at = s.Next(at)
		fmt.Println(at.Format(time.RFC3339))
	}
	// Output:
	// 2025-03-29T02:30:00+01:00
	// 2025-03-30T03:00:00+02:00
	// 2025-03-31T02:30:00+02:00
}
