package triggers

import (
	"log/slog"
	"time"
)

// Option sets a collaborator that a trigger may use. Every constructor of
// the package takes the same options, so NewMux passes its own to each
// trigger; an option a trigger has no use for is ignored (each option
// names the triggers it applies to).
type Option func(*deps)

// deps are the collaborators set by options.
type deps struct {
	log        *slog.Logger
	validator  DataValidator
	observer   Observer
	clock      Clock
	replies    Replies
	cronState  KeyValue
	webhookIDs KeyValue
}

// WithLogger sets the logger of every trigger; nil (the default) discards.
func WithLogger(l *slog.Logger) Option { return func(d *deps) { d.log = l } }

// WithValidator checks the data of events against registered schemas, at
// ingest and on HTTP routes; a body that fails is answered 400. Default:
// nothing is checked.
func WithValidator(v DataValidator) Option { return func(d *deps) { d.validator = v } }

// WithObserver counts the events arriving at each trigger of a Mux and
// starts the span of each cron tick. Default: nothing is observed.
func WithObserver(o Observer) Option { return func(d *deps) { d.observer = o } }

// WithClock sets the clock of cron triggers (ticks), webhooks (signed
// timestamps) and routes and webhooks (the time attribute). Default: the
// system clock.
func WithClock(c Clock) Option { return func(d *deps) { d.clock = c } }

// WithReplies sets what reply routes wait on for answers; required when a
// route is in reply mode. *ReplyWaiter implements it.
func WithReplies(r Replies) Option { return func(d *deps) { d.replies = r } }

// WithCronState remembers the last stored tick of each cron trigger (the
// CronBucket), so that runs missed while no process ran are found.
// Default: none, and missed runs are not detected across restarts.
func WithCronState(kv KeyValue) Option { return func(d *deps) { d.cronState = kv } }

// WithWebhookIDs de-duplicates webhook deliveries beyond the stream's
// duplicate window (the WebhookBucket). Default: none, and de-duplication
// is left to the stream's duplicate window.
func WithWebhookIDs(kv KeyValue) Option { return func(d *deps) { d.webhookIDs = kv } }

// applyOptions returns the collaborators set by opts, with defaults for the
// ones not set.
func applyOptions(opts []Option) deps {
	var d deps
	for _, o := range opts {
		if o != nil {
			o(&d)
		}
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.clock == nil {
		d.clock = systemClock{}
	}
	return d
}

// now is the time attribute of an event made now.
func (d deps) now() time.Time { return d.clock.Now().UTC() }

// needPublisher reports a trigger built without a publisher.
func needPublisher(trigger string, pub EventPublisher) error {
	if pub == nil {
		return configErr(trigger, "publisher", "required")
	}
	return nil
}
