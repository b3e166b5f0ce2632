package app

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
)

// DefaultWatchInterval is how often `up` checks its streams (re-creating
// one that vanished) and samples its consumers for events removed before
// they were processed.
const DefaultWatchInterval = time.Second

// watchStreams prepares the stream check /readyz answers with and the
// eviction watch.
func (a *App) watchStreams() error {
	specs := meshmap.Streams(a.m)
	sc, err := a.client.NewStreamCheck(broker.DefaultCheckTTL, specs...)
	if err != nil {
		return err
	}
	a.streams = sc
	// The run history drops its oldest records by design, and its only
	// consumers are readers (the run metrics' ordered consumer): it is
	// not watched for evictions.
	hist := meshmap.History(a.m)
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		if hist.Disabled || s.Name != hist.WithDefaults().Stream {
			names = append(names, s.Name)
		}
	}
	if a.evictions, err = a.client.WatchEvictions(names...); err != nil {
		return err
	}
	return nil
}

// watch checks the streams and samples the evictions every
// WatchInterval until ctx ends.
func (a *App) watch(ctx context.Context) {
	t := time.NewTicker(a.cfg.WatchInterval)
	defer t.Stop()
	watched := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// A failed check is logged by the check (a vanished stream) or
		// answered by /readyz; nothing more to do with it here.
		_ = a.streams.Check(ctx)
		a.sampleEvictions(ctx)
		if n := a.evictions.Watched(); n != watched {
			watched = n
			a.log.Debug("eviction watch", "consumers", n)
		}
	}
}

// sampleEvictions counts and logs what the streams removed unprocessed
// since the last sample.
func (a *App) sampleEvictions(ctx context.Context) {
	evs, err := a.evictions.Sample(ctx)
	if err != nil && ctx.Err() == nil {
		a.log.Debug("eviction sample", "err", err)
	}
	for _, e := range evs {
		a.tel.Metrics.Evicted.Add(ctx, int64(e.Count), metric.WithAttributes(
			attribute.String("stream", e.Stream), attribute.String("consumer", e.Consumer)))
		a.log.Warn("stream removed events before they were processed (discard old at a limit, or maxAge)",
			"stream", e.Stream, "consumer", e.Consumer, "events", e.Count)
	}
}
