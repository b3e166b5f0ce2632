package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"mime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/triggers/schedule"
)

// ErrCronRunning is returned by Cron.Run while another Run of the same Cron
// is active.
var ErrCronRunning = errors.New("cron trigger already running")

// Missed-run policies of a cron trigger (see schedule.MissedRuns).
const (
	// MissedRunsSkip emits nothing for ticks that passed while no process
	// ran the trigger.
	MissedRunsSkip = string(schedule.Skip)
	// MissedRunsCatchUp emits the missed ticks, oldest first, at most
	// maxCatchUp of them (the most recent ones).
	MissedRunsCatchUp = string(schedule.CatchUp)
)

// maxSleep bounds one wait on the clock, so that a suspended machine or a
// wall-clock change is noticed within that time.
const maxSleep = time.Minute

// Defaults of CronConfig.
const (
	// DefaultCronTimezone is the zone of a schedule without one.
	DefaultCronTimezone = "UTC"
	// DefaultMaxCatchUp bounds the missed ticks caught up.
	DefaultMaxCatchUp = 10
	// DefaultCronContentType is the media type of a tick's data.
	DefaultCronContentType = "application/json"
)

// CronConfig configures one cron trigger. Errors name its fields as the
// mesh file does (cron.schedule, emit.type, ...).
type CronConfig struct {
	// Name identifies the trigger and its state; required, and usable as a
	// key-value key (letters, digits, '-', '_', '.', '/', '=').
	Name string
	// Schedule is a 5-field cron expression or a descriptor such as
	// "@hourly" or "@every 5m" (see schedule.Parse).
	Schedule string
	// Timezone is the IANA zone of the schedule. Default
	// DefaultCronTimezone.
	Timezone string
	// Jitter delays each tick's publish by a random duration up to this
	// value; the event keeps the tick's id and time.
	Jitter time.Duration
	// MissedRuns is MissedRunsSkip (default) or MissedRunsCatchUp.
	MissedRuns string
	// MaxCatchUp bounds the missed ticks caught up. Default
	// DefaultMaxCatchUp.
	MaxCatchUp int
	// Data is the event data: encoded as JSON when ContentType is JSON, the
	// string itself otherwise.
	Data any
	// ContentType is the media type of Data. Default
	// DefaultCronContentType.
	ContentType string
	// Emit sets the events' attributes; Emit.Type is required.
	Emit Emit
}

// withDefaults returns c with every unset field at its default.
func (c CronConfig) withDefaults() CronConfig {
	if c.Timezone == "" {
		c.Timezone = DefaultCronTimezone
	}
	if c.MissedRuns == "" {
		c.MissedRuns = MissedRunsSkip
	}
	if c.MaxCatchUp == 0 {
		c.MaxCatchUp = DefaultMaxCatchUp
	}
	if strings.TrimSpace(c.ContentType) == "" {
		c.ContentType = DefaultCronContentType
	}
	return c
}

// Validate reports the first setting of c (with defaults applied) that a
// cron trigger cannot run with, as a *ConfigError.
func (c CronConfig) Validate() error {
	_, err := c.build()
	return err
}

// Cron is a cron trigger: it emits one event per tick of its schedule. The
// event id is "<trigger name>/<tick in UTC, RFC 3339>", its time the tick,
// so several processes running the same trigger store one event per tick
// (the broker de-duplicates by source and id within the stream's duplicate
// window; the jitter must stay well inside it).
type Cron struct {
	name        string
	emit        emitter
	sched       schedule.Schedule
	jitter      time.Duration
	missedRuns  schedule.MissedRuns
	maxCatchUp  int
	data        []byte
	contentType string
	pub         EventPublisher
	state       cronState
	clock       Clock
	log         *slog.Logger
	obs         Observer
	maxSleep    time.Duration
	running     atomic.Bool
}

// NewCron builds a cron trigger publishing through pub: defaults, then
// options (WithCronState, WithClock, WithLogger, WithObserver), then
// cfg.Validate. It parses the schedule, loads the time zone and encodes the
// data once. Errors wrap ErrConfig and name the field.
func NewCron(cfg CronConfig, pub EventPublisher, opts ...Option) (*Cron, error) {
	cr, err := cfg.build()
	if err == nil {
		err = needPublisher(cfg.Name, pub)
	}
	if err != nil {
		return nil, err
	}
	d := applyOptions(opts)
	cr.pub = pub
	cr.state = cronState{kv: d.cronState, key: cfg.Name}
	cr.clock, cr.obs = d.clock, d.observer
	cr.log = d.log.With("trigger", cfg.Name)
	return cr, nil
}

// build checks c with its defaults and returns the trigger it describes,
// without collaborators.
func (c CronConfig) build() (*Cron, error) {
	c = c.withDefaults()
	em, err := newEmitter(c.Name, c.Emit, true)
	if err != nil {
		return nil, err
	}
	if !kvKeyPattern.MatchString(c.Name) {
		return nil, configErr(c.Name, "name", "must hold only letters, digits, '-', '_', '.', '/' or '=' for a cron trigger")
	}
	loc, err := schedule.LoadZone(c.Timezone)
	if err != nil {
		return nil, configErr(c.Name, "cron.timezone", "%v, got %q", err, c.Timezone)
	}
	sched, err := schedule.Parse(c.Schedule, loc)
	if err != nil {
		return nil, configErr(c.Name, "cron.schedule", "%v", err)
	}
	if c.Jitter < 0 {
		return nil, configErr(c.Name, "cron.jitter", "must not be negative, got %s", c.Jitter)
	}
	policy := schedule.MissedRuns(c.MissedRuns)
	if err := policy.Check(); err != nil {
		return nil, configErr(c.Name, "cron.missedRuns", "%v, got %q", err, c.MissedRuns)
	}
	if c.MaxCatchUp < 0 {
		return nil, configErr(c.Name, "cron.maxCatchUp", "must not be negative, got %d", c.MaxCatchUp)
	}
	cr := &Cron{
		name:       c.Name,
		emit:       em,
		sched:      sched,
		jitter:     c.Jitter,
		missedRuns: policy,
		maxCatchUp: c.MaxCatchUp,
		maxSleep:   maxSleep,
	}
	if cr.contentType, cr.data, err = cronData(c.ContentType, c.Data); err != nil {
		return nil, configErr(c.Name, "cron.data", "%v", err)
	}
	return cr, nil
}

// cronData encodes the configured data: as JSON when the content type is
// JSON, as the string itself otherwise.
func cronData(contentType string, data any) (string, []byte, error) {
	contentType = strings.TrimSpace(contentType)
	if contentType == "" {
		contentType = DefaultCronContentType
	}
	mt, _, perr := mime.ParseMediaType(contentType)
	if perr != nil || !isPrintableASCII(contentType) {
		return "", nil, errors.New("contentType: must be a media type (RFC 2046)")
	}
	if data == nil {
		return contentType, nil, nil
	}
	if isJSONMediaType(contentType) {
		b, err := json.Marshal(data)
		if err != nil {
			return "", nil, errors.New("cannot be encoded as JSON: " + err.Error())
		}
		return contentType, b, nil
	}
	s, ok := data.(string)
	if !ok {
		return "", nil, errors.New("must be a string when contentType is not JSON (" + mt + ")")
	}
	return contentType, []byte(s), nil
}

// Name is the trigger's name.
func (c *Cron) Name() string { return c.name }

// Next returns the first tick strictly after t, in the trigger's time zone;
// the zero time when the schedule has none in the next five years.
func (c *Cron) Next(t time.Time) time.Time { return c.sched.Next(t) }

// Run emits events until ctx ends, then returns nil. Run returns
// ErrCronRunning if the Cron is already running.
//
// A tick is on time when it is noticed before the following tick is due;
// any other tick is a missed run and follows the missedRuns policy (skip:
// none is fired; catchUp: the most recent maxCatchUp, oldest first). The
// ticks after the last one stored (read from the state at start) that
// passed while no process ran are missed runs, however recent; so are the
// ticks a suspended or stalled process slept through. A tick is published
// with retries until it is stored or the next tick is due, and recorded
// once stored, so a process started beside a running one starts from the
// tick that one stored.
func (c *Cron) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return ErrCronRunning
	}
	defer c.running.Store(false)

	cursor := c.clock.Now()
	last, ok, err := c.state.load(ctx)
	switch {
	case err != nil:
		c.log.Warn("cannot read the last tick; missed runs are not detected", "error", err)
	case ok:
		cursor = c.handleMissed(ctx, last, cursor)
	}
	for ctx.Err() == nil {
		next := c.sched.Next(cursor)
		if next.IsZero() {
			c.log.Warn("schedule has no further tick", "after", cursor)
			<-ctx.Done()
			break
		}
		if !c.sleepUntil(ctx, next) {
			break
		}
		if now := c.clock.Now(); c.late(next, now) {
			cursor = c.handleMissed(ctx, cursor, now)
			continue
		}
		if c.jitter > 0 && !c.wait(ctx, rand.N(c.jitter)) {
			break
		}
		c.fire(ctx, next)
		cursor = next
	}
	return nil
}

// late reports whether tick, noticed at now, is a missed run: the tick
// after it is due as well.
func (c *Cron) late(tick, now time.Time) bool {
	after := c.sched.Next(tick)
	return !after.IsZero() && !after.After(now)
}

// handleMissed applies the missedRuns policy to the ticks in (from, to]
// and returns the new cursor: to, or from when to is not after it (the
// last stored tick is ahead of this process's clock).
func (c *Cron) handleMissed(ctx context.Context, from, to time.Time) time.Time {
	if !to.After(from) {
		return from
	}
	first := c.sched.Next(from)
	if first.IsZero() || first.After(to) {
		return to
	}
	due := c.missedRuns.Due(c.sched, from, to, c.maxCatchUp)
	c.log.Info("missed runs", "policy", c.missedRuns, "from", first, "until", to, "firing", len(due), "bound", c.maxCatchUp)
	for _, t := range due {
		if ctx.Err() != nil {
			break
		}
		c.fire(ctx, t)
	}
	return to
}

// fire publishes the event of tick, retrying with backoff until it is
// stored, the next tick is due or ctx ends, and records the tick once
// stored.
func (c *Cron) fire(ctx context.Context, tick time.Time) {
	var (
		ack broker.Ack
		err error
	)
	if c.obs != nil {
		var end func(error)
		ctx, end = c.obs.StartTick(ctx, c.name, tick)
		defer func() {
			c.obs.CountReceived(ctx, c.name, publishOutcome(ack, err), 1)
			end(err)
		}()
	}
	e := c.event(tick)
	giveUp := c.sched.Next(tick)
	backoff := time.Second
	for attempt := 1; ; attempt++ {
		ack, err = c.pub.Publish(ctx, e)
		if err == nil {
			c.log.Debug("tick stored", "tick", tick, "id", e.ID(), "duplicate", ack.Duplicate)
			if err := c.state.save(ctx, tick); err != nil {
				c.log.Warn("cannot record the tick", "tick", tick, "error", err)
			}
			return
		}
		now := c.clock.Now()
		if ctx.Err() != nil || (!giveUp.IsZero() && !now.Add(backoff).Before(giveUp)) {
			c.log.Error("tick not stored", "tick", tick, "id", e.ID(), "attempts", attempt, "error", err)
			return
		}
		c.log.Warn("publish failed, retrying", "tick", tick, "attempt", attempt, "retry_in", backoff, "error", err)
		if !c.wait(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// event builds the event of tick.
func (c *Cron) event(tick time.Time) *event.Event {
	e := c.emit.event(c.name+"/"+tick.UTC().Format(time.RFC3339), "", tick.UTC())
	if c.data != nil {
		e.SetDataContentType(c.contentType)
		e.DataEncoded = c.data
	}
	return e
}

// sleepUntil waits until the clock reaches t, in steps of at most
// c.maxSleep so that clock jumps are noticed. It returns false when ctx
// ends first.
func (c *Cron) sleepUntil(ctx context.Context, t time.Time) bool {
	for {
		d := t.Sub(c.clock.Now())
		if d <= 0 {
			return true
		}
		if !c.wait(ctx, min(d, c.maxSleep)) {
			return false
		}
	}
}

// wait waits d on the clock; false when ctx ends first.
func (c *Cron) wait(ctx context.Context, d time.Duration) bool {
	select {
	case <-c.clock.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}
