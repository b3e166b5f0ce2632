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
	"github.com/fnmesh/fnmesh/internal/config"
)

// ErrCronRunning is returned by Cron.Run while another Run of the same Cron
// is active.
var ErrCronRunning = errors.New("cron trigger already running")

// Missed-run policies of a cron trigger.
const (
	// MissedRunsSkip emits nothing for ticks that passed while no process
	// ran the trigger.
	MissedRunsSkip = "skip"
	// MissedRunsCatchUp emits the missed ticks, oldest first, at most
	// maxCatchUp of them (the most recent ones).
	MissedRunsCatchUp = "catchUp"
)

// LateTolerance is how late a tick may be noticed and still count as on
// time; a tick noticed later (the process was stopped, suspended or busy)
// is a missed run and follows the trigger's missedRuns policy.
const LateTolerance = time.Minute

// maxSleep bounds one wait on the clock, so that a suspended machine or a
// wall-clock change is noticed within that time.
const maxSleep = time.Minute

// CronOptions are the process-wide settings of cron triggers.
type CronOptions struct {
	// State remembers the last stored tick of each trigger (bucket
	// CronBucket), so that runs missed while no process was running are
	// found. Nil disables missed-run detection across restarts.
	State KeyValue
	// Clock tells the time; nil means the system clock.
	Clock Clock
	// Logger receives ticks, skipped runs and publish failures; nil discards.
	Logger *slog.Logger
	// Observer starts a root span for each tick and counts the tick's
	// event once stored or given up on; nil observes nothing.
	Observer Observer
}

// Cron is a cron trigger: it emits one event per tick of its schedule. The
// event id is "<trigger name>/<tick in UTC, RFC 3339>", its time the tick,
// so several processes running the same trigger store one event per tick
// (the broker de-duplicates by source and id within the stream's duplicate
// window; the jitter must stay well inside it).
type Cron struct {
	name        string
	emit        emitter
	sched       schedule
	jitter      time.Duration
	catchUp     bool
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

// NewCron builds a cron trigger: it parses the schedule (5 fields or a
// descriptor such as "@hourly" or "@every 5m"), loads the time zone and
// encodes the data once. Errors wrap ErrConfig and name the field.
func NewCron(cfg config.Trigger, pub EventPublisher, opts CronOptions) (*Cron, error) {
	c := cfg.Cron
	if c == nil {
		return nil, configErr(cfg.Name, "cron", "required for a cron trigger")
	}
	if pub == nil {
		return nil, configErr(cfg.Name, "publisher", "required")
	}
	em, err := newEmitter(cfg, true)
	if err != nil {
		return nil, err
	}
	if !kvKeyPattern.MatchString(cfg.Name) {
		return nil, configErr(cfg.Name, "name", "must hold only letters, digits, '-', '_', '.', '/' or '=' for a cron trigger")
	}
	tz := c.Timezone
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || strings.EqualFold(tz, "Local") {
		return nil, configErr(cfg.Name, "cron.timezone", "must be an IANA time zone name such as UTC or Europe/Berlin, got %q", c.Timezone)
	}
	sched, err := parseSchedule(c.Schedule, loc)
	if err != nil {
		return nil, configErr(cfg.Name, "cron.schedule", "%v", err)
	}
	if c.Jitter < 0 {
		return nil, configErr(cfg.Name, "cron.jitter", "must not be negative, got %s", c.Jitter.D())
	}
	cr := &Cron{
		name:       cfg.Name,
		emit:       em,
		sched:      sched,
		jitter:     c.Jitter.D(),
		maxCatchUp: c.MaxCatchUp,
		pub:        pub,
		state:      cronState{kv: opts.State, key: cfg.Name},
		clock:      opts.Clock,
		log:        orDiscard(opts.Logger).With("trigger", cfg.Name),
		obs:        opts.Observer,
		maxSleep:   maxSleep,
	}
	switch c.MissedRuns {
	case "", MissedRunsSkip:
	case MissedRunsCatchUp:
		cr.catchUp = true
	default:
		return nil, configErr(cfg.Name, "cron.missedRuns", "must be one of %s, %s, got %q", MissedRunsSkip, MissedRunsCatchUp, c.MissedRuns)
	}
	switch {
	case cr.maxCatchUp < 0:
		return nil, configErr(cfg.Name, "cron.maxCatchUp", "must not be negative, got %d", cr.maxCatchUp)
	case cr.maxCatchUp == 0:
		cr.maxCatchUp = config.DefaultMaxCatchUp
	}
	if cr.clock == nil {
		cr.clock = systemClock{}
	}
	if cr.contentType, cr.data, err = cronData(c); err != nil {
		return nil, configErr(cfg.Name, "cron.data", "%v", err)
	}
	return cr, nil
}

// cronData encodes the configured data: as JSON when the content type is
// JSON, as the string itself otherwise.
func cronData(c *config.CronTrigger) (contentType string, data []byte, err error) {
	contentType = strings.TrimSpace(c.ContentType)
	if contentType == "" {
		contentType = config.DefaultCronContentType
	}
	mt, _, perr := mime.ParseMediaType(contentType)
	if perr != nil || !isPrintableASCII(contentType) {
		return "", nil, errors.New("contentType: must be a media type (RFC 2046)")
	}
	if c.Data == nil {
		return contentType, nil, nil
	}
	if isJSONMediaType(contentType) {
		data, err = json.Marshal(c.Data)
		if err != nil {
			return "", nil, errors.New("cannot be encoded as JSON: " + err.Error())
		}
		return contentType, data, nil
	}
	s, ok := c.Data.(string)
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

// Run emits events until ctx ends, then returns nil. On start it reads the
// last stored tick and applies the missedRuns policy to the ticks since;
// a tick is published with retries until it is stored or the next tick is
// due, and recorded once stored. Run returns ErrCronRunning if the Cron
// is already running.
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
		cursor = last
	}
	for ctx.Err() == nil {
		cursor = c.handleMissed(ctx, cursor)
		next := c.sched.Next(cursor)
		if next.IsZero() {
			c.log.Warn("schedule has no further tick", "after", cursor)
			<-ctx.Done()
			break
		}
		if !c.sleepUntil(ctx, next) {
			break
		}
		if c.clock.Now().Sub(next) > LateTolerance {
			continue // noticed too late: handleMissed decides
		}
		if c.jitter > 0 && !c.wait(ctx, rand.N(c.jitter)) {
			break
		}
		c.fire(ctx, next)
		cursor = next
	}
	return nil
}

// handleMissed applies the missedRuns policy to the ticks after cursor that
// are more than LateTolerance in the past, and returns the new cursor.
func (c *Cron) handleMissed(ctx context.Context, cursor time.Time) time.Time {
	horizon := c.clock.Now().Add(-LateTolerance)
	first := c.sched.Next(cursor)
	if first.IsZero() || first.After(horizon) {
		return cursor
	}
	if !c.catchUp {
		c.log.Info("skipping missed runs", "from", first, "until", horizon)
		return horizon
	}
	missed := lastTicks(c.sched, cursor, horizon, c.maxCatchUp)
	c.log.Info("catching up missed runs", "count", len(missed), "from", missed[0], "bound", c.maxCatchUp)
	for _, t := range missed {
		if ctx.Err() != nil {
			return cursor
		}
		c.fire(ctx, t)
	}
	return horizon
}

// lastTicks returns the last (at most n) ticks in (from, to], oldest first.
// It searches backwards from to in doubling windows, so a long gap costs
// about as much as the ticks returned.
func lastTicks(s schedule, from, to time.Time, n int) []time.Time {
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
	e := c.emit.event(c.name+"/"+tick.UTC().Format(time.RFC3339), "")
	e.SetTime(tick.UTC())
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
