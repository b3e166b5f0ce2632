package scale

import "log/slog"

// Option tunes how the Scaler and the runtimes (workers/process,
// workers/docker, workers/kube) report.
type Option func(*Options)

// Options are what the options set, with their defaults.
type Options struct {
	// Log receives the component's events. Default: discard.
	Log *slog.Logger
	// Peers, for a Scaler, are the other scalers of the same functions
	// (WithPeers); nil runs alone.
	Peers Peers
}

// WithLogger sends the component's events to l (nil discards, the
// default). The Scaler logs every decision: info when the count changes,
// debug otherwise, warn when the backlog becomes unreadable.
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Log = l } }

// ApplyOptions applies opts, in order, over the defaults.
func ApplyOptions(opts []Option) Options {
	var o Options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}
