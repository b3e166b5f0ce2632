package triggers

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
)

// countingPublisher passes events to the real client and counts the
// publishes that succeeded (duplicates included).
type countingPublisher struct {
	next EventPublisher
	n    atomic.Int64
	dups atomic.Int64
}

func (p *countingPublisher) Publish(ctx context.Context, e *event.Event) (broker.Ack, error) {
	ack, err := p.next.Publish(ctx, e)
	if err == nil {
		if ack.Duplicate {
			p.dups.Add(1)
		}
		p.n.Add(1)
	}
	return ack, err
}

func cronTrigger(schedule, tz string, edit func(*CronConfig)) CronConfig {
	c := CronConfig{
		Name:     "nightly",
		Schedule: schedule,
		Timezone: tz,
		Emit:     Emit{Type: "com.example.report.requested", Source: "/shop/cron"},
	}
	if edit != nil {
		edit(&c)
	}
	return c
}

// runningCron is a Cron running on a fake clock until the test ends.
type runningCron struct {
	cron  *Cron
	clock *fakeClock
	pub   *countingPublisher
}

// startCron builds and runs a cron trigger publishing through client. A
// zero maxSleep keeps the default (one-minute steps); tests of long
// schedules raise it so that every step of the fake clock is a tick.
func startCron(t *testing.T, cfg CronConfig, client *broker.Client, state KeyValue, start time.Time, maxSleep time.Duration) *runningCron {
	t.Helper()
	clk := newFakeClock(start)
	pub := &countingPublisher{next: client}
	opts := []Option{WithClock(clk)}
	if state != nil {
		opts = append(opts, WithCronState(state))
	}
	c, err := NewCron(cfg, pub, opts...)
	if err != nil {
		t.Fatalf("NewCron: %v", err)
	}
	if maxSleep > 0 {
		c.maxSleep = maxSleep
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return &runningCron{cron: c, clock: clk, pub: pub}
}

// until steps the fake clock until n publishes succeeded. After each step
// it waits for the cron to wait on the clock again, so it never steps past
// the tick that made the n-th publish.
func (rc *runningCron) until(t *testing.T, n int64) {
	t.Helper()
	rc.clock.idle(t)
	for steps := 0; rc.pub.n.Load() < n; steps++ {
		if steps > 100000 {
			t.Fatalf("no %d publishes after %d clock steps", n, steps)
		}
		rc.clock.step(t)
		rc.clock.idle(t)
	}
}

// ticks returns the time attribute of every stored event, in UTC RFC 3339,
// and checks that id and time agree.
func ticks(t *testing.T, events []*event.Event) []string {
	t.Helper()
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Time().UTC().Format(time.RFC3339)
		if want := "nightly/" + out[i]; e.ID() != want {
			t.Errorf("event %d: id %q, want %q", i, e.ID(), want)
		}
	}
	return out
}

func TestCronAcrossDaylightSavingChanges(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		schedule string
		start    time.Time
		maxSleep time.Duration
		want     []string
	}{
		{
			name:     "daily 02:30, spring forward: the missing 02:30 fires when the clock jumps",
			schedule: "30 2 * * *",
			start:    time.Date(2025, 3, 28, 12, 0, 0, 0, berlin),
			maxSleep: 48 * time.Hour,
			want:     []string{"2025-03-29T01:30:00Z", "2025-03-30T01:00:00Z", "2025-03-31T00:30:00Z"},
		},
		{
			name:     "daily 02:30, fall back: the repeated 02:30 fires once",
			schedule: "30 2 * * *",
			start:    time.Date(2025, 10, 24, 12, 0, 0, 0, berlin),
			maxSleep: 48 * time.Hour,
			want:     []string{"2025-10-25T00:30:00Z", "2025-10-26T00:30:00Z", "2025-10-27T01:30:00Z"},
		},
		{
			name:     "hourly, spring forward: one tick per real hour",
			schedule: "0 * * * *",
			start:    time.Date(2025, 3, 30, 0, 30, 0, 0, berlin),
			want:     []string{"2025-03-30T00:00:00Z", "2025-03-30T01:00:00Z", "2025-03-30T02:00:00Z"},
		},
		{
			name:     "hourly, fall back: both 02:00 fire",
			schedule: "0 * * * *",
			start:    time.Date(2025, 10, 26, 1, 30, 0, 0, berlin),
			want:     []string{"2025-10-26T00:00:00Z", "2025-10-26T01:00:00Z", "2025-10-26T02:00:00Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTrEnv(t, 0)
			rc := startCron(t, cronTrigger(tt.schedule, "Europe/Berlin", nil), env.client, nil, tt.start, tt.maxSleep)
			rc.until(t, int64(len(tt.want)))
			got := ticks(t, env.events(t))
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("emitted\n  %v\nwant\n  %v", got, tt.want)
			}
		})
	}
}

func TestCronNext(t *testing.T) {
	utc := time.UTC
	tests := []struct {
		name     string
		schedule string
		tz       string
		from     time.Time
		want     []string
	}{
		{
			name: "descriptor in a zone without DST", schedule: "@daily", tz: "Asia/Tokyo",
			from: time.Date(2025, 6, 1, 0, 0, 0, 0, utc),
			want: []string{"2025-06-01T15:00:00Z", "2025-06-02T15:00:00Z"},
		},
		{
			name: "midnight that does not exist (Havana springs forward at 00:00)", schedule: "0 0 * * *", tz: "America/Havana",
			from: time.Date(2025, 3, 8, 12, 0, 0, 0, utc),
			want: []string{"2025-03-09T05:00:00Z", "2025-03-10T04:00:00Z"},
		},
		{
			// 00:00 CEST, 02:00 CEST, (02:00 CET repeats: skipped), 04:00 CET.
			name: "every two hours across fall back keeps the first 02:00 only", schedule: "0 */2 * * *", tz: "Europe/Berlin",
			from: time.Date(2025, 10, 25, 21, 30, 0, 0, utc),
			want: []string{"2025-10-25T22:00:00Z", "2025-10-26T00:00:00Z", "2025-10-26T03:00:00Z"},
		},
		{
			name: "every 90 minutes counted from the epoch", schedule: "@every 90m", tz: "Europe/Berlin",
			from: time.Date(2025, 1, 1, 0, 10, 0, 0, utc),
			want: []string{"2025-01-01T01:30:00Z", "2025-01-01T03:00:00Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCron(cronTrigger(tt.schedule, tt.tz, nil), &countingPublisher{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for at := tt.from; len(got) < len(tt.want); {
				at = c.Next(at)
				got = append(got, at.UTC().Format(time.RFC3339))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("ticks %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCronEveryIsAlignedAcrossProcesses(t *testing.T) {
	c, err := NewCron(cronTrigger("@every 7m", "UTC", nil), &countingPublisher{})
	if err != nil {
		t.Fatal(err)
	}
	a := c.Next(time.Date(2025, 5, 5, 10, 0, 3, 0, time.UTC))
	b := c.Next(time.Date(2025, 5, 5, 10, 2, 59, 0, time.UTC))
	if !a.Equal(b) || a.UnixNano()%(7*time.Minute).Nanoseconds() != 0 {
		t.Errorf("processes started at different times tick at %s and %s; want the same multiple of 7m", a, b)
	}
}

func TestCronTwoProcessesStoreOneEventPerTick(t *testing.T) {
	env := newTrEnv(t, 0)
	start := time.Date(2025, 5, 5, 9, 59, 0, 0, time.UTC)
	cfg := cronTrigger("*/15 * * * *", "UTC", func(c *CronConfig) { c.Data = map[string]any{"report": "daily"} })
	// Two processes: separate connections, clients, and bucket handles.
	c1, c2 := env.newClient(t), env.newClient(t)
	a := startCron(t, cfg, c1, env.bucket(t, c1, CronBucket, 0), start, time.Hour)
	b := startCron(t, cfg, c2, env.bucket(t, c2, CronBucket, 0), start, time.Hour)
	// Both have read the (empty) state and wait for their first tick, as two
	// processes started together do; otherwise b could start from a's tick.
	a.clock.idle(t)
	b.clock.idle(t)
	for n := int64(1); n <= 3; n++ {
		a.until(t, n)
		b.until(t, n)
	}
	events := env.events(t)
	got := ticks(t, events)
	want := []string{"2025-05-05T10:00:00Z", "2025-05-05T10:15:00Z", "2025-05-05T10:30:00Z"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("stored %v, want %v", got, want)
	}
	if d := a.pub.dups.Load() + b.pub.dups.Load(); d != 3 {
		t.Errorf("%d publishes were duplicates, want 3 (one per tick)", d)
	}
	if string(events[0].Data()) != `{"report":"daily"}` || events[0].DataContentType() != "application/json" || events[0].Source() != "/shop/cron" {
		t.Errorf("event data %q (%s), source %s", events[0].Data(), events[0].DataContentType(), events[0].Source())
	}
}

func TestCronJitterKeepsIDAndTime(t *testing.T) {
	env := newTrEnv(t, 0)
	cfg := cronTrigger("@hourly", "UTC", func(c *CronConfig) {
		c.Jitter = 20 * time.Minute
		c.ContentType = "text/plain"
		c.Data = "ping"
	})
	rc := startCron(t, cfg, env.client, nil, time.Date(2025, 2, 2, 7, 30, 0, 0, time.UTC), time.Hour)
	rc.until(t, 2)
	events := env.events(t)
	if got := ticks(t, events); strings.Join(got, " ") != "2025-02-02T08:00:00Z 2025-02-02T09:00:00Z" {
		t.Errorf("ticks %v", got)
	}
	if string(events[0].Data()) != "ping" || events[0].DataContentType() != "text/plain" {
		t.Errorf("data %q (%s)", events[0].Data(), events[0].DataContentType())
	}
}

func TestCronRetriesAFailedPublish(t *testing.T) {
	env := newTrEnv(t, 0)
	clk := newFakeClock(time.Date(2025, 2, 2, 7, 59, 0, 0, time.UTC))
	pub := &countingPublisher{next: &flakyPublisher{fail: 2, next: env.client}}
	c, err := NewCron(cronTrigger("@hourly", "UTC", nil), pub, WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	rc := &runningCron{cron: c, clock: clk, pub: pub}
	rc.until(t, 1)
	if err := c.Run(ctx); !errors.Is(err, ErrCronRunning) {
		t.Errorf("second Run: %v, want ErrCronRunning", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if got := ticks(t, env.events(t)); strings.Join(got, " ") != "2025-02-02T08:00:00Z" {
		t.Errorf("stored %v, want the 08:00 tick once", got)
	}
}

func TestCronData(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		data        any
		wantType    string
		wantData    string
		wantErr     string
	}{
		{name: "map as JSON", data: map[string]any{"report": "daily"}, wantType: "application/json", wantData: `{"report":"daily"}`},
		{name: "string as JSON", data: "hi", wantType: "application/json", wantData: `"hi"`},
		{name: "string as text", contentType: "text/plain; charset=utf-8", data: "hi", wantType: "text/plain; charset=utf-8", wantData: "hi"},
		{name: "JSON suffix type", contentType: "application/vnd.report+json", data: []any{1, 2}, wantType: "application/vnd.report+json", wantData: "[1,2]"},
		{name: "no data", wantType: "application/json"},
		{name: "map as text", contentType: "text/plain", data: map[string]any{"a": 1}, wantErr: "must be a string when contentType is not JSON"},
		{name: "bad content type", contentType: "text/", data: "x", wantErr: "contentType: must be a media type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, data, err := cronData(tt.contentType, tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || ct != tt.wantType || string(data) != tt.wantData {
				t.Errorf("got %q %q %v, want %q %q", ct, data, err, tt.wantType, tt.wantData)
			}
		})
	}
}

func TestNewCronConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  CronConfig
		want string
	}{
		{name: "bad schedule", cfg: cronTrigger("61 * * * *", "UTC", nil), want: "cron.schedule: not a valid schedule"},
		{name: "six fields", cfg: cronTrigger("0 0 * * * *", "UTC", nil), want: "cron.schedule"},
		{name: "zone in schedule", cfg: cronTrigger("CRON_TZ=UTC 0 * * * *", "UTC", nil), want: "set timezone instead"},
		{name: "unknown zone", cfg: cronTrigger("@daily", "Mars/Olympus", nil), want: "cron.timezone"},
		{name: "local zone", cfg: cronTrigger("@daily", "Local", nil), want: "cron.timezone"},
		{name: "negative jitter", cfg: cronTrigger("@daily", "UTC", func(c *CronConfig) { c.Jitter = -1 }), want: "cron.jitter"},
		{name: "unknown policy", cfg: cronTrigger("@daily", "UTC", func(c *CronConfig) { c.MissedRuns = "all" }), want: "cron.missedRuns: must be one of skip, catchUp"},
		{name: "negative bound", cfg: cronTrigger("@daily", "UTC", func(c *CronConfig) { c.MaxCatchUp = -2 }), want: "cron.maxCatchUp"},
		{name: "no type", cfg: func() CronConfig { c := cronTrigger("@daily", "UTC", nil); c.Emit.Type = ""; return c }(), want: "emit.type: required"},
		{name: "name unfit for a key", cfg: func() CronConfig { c := cronTrigger("@daily", "UTC", nil); c.Name = "a b"; return c }(), want: "name: must hold only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCron(tt.cfg, &countingPublisher{})
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrConfig mentioning %q", err, tt.want)
			}
			if verr := tt.cfg.Validate(); verr == nil || err == nil || verr.Error() != err.Error() {
				t.Errorf("Validate() = %v, want the constructor's error %v", verr, err)
			}
		})
	}
}
