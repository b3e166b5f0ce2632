package app

import (
	"context"
	"sync"
	"time"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/history"
)

// runMetrics starts the reader of the run history that feeds `up`'s
// fnmesh.runs, fnmesh.run.duration, fnmesh.retries and fnmesh.deadletters
// (history.Counter), from the attempts stored since `up` started on, and
// the window of recent attempts the API's overview figures come from. Its
// stop function ends it; it is a no-op when the mesh keeps no history.
//
// The counts live in `up`, not in the workers, so a function scaled to
// zero keeps its numbers. On a cluster every node reads the whole stream,
// so every node reports every function: aggregate nodes with max, not sum.
func (a *App) runMetrics(since time.Time) (stop func()) {
	cfg := meshmap.History(a.m)
	if cfg.Disabled {
		return func() {}
	}
	c, err := history.NewCounter(a.nc, cfg, a.tel.Metrics, since, a.log, history.WithWindow(a.recent))
	if err != nil {
		a.log.Error("run history metrics", "err", err)
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = c.Run(ctx) })
	return func() {
		cancel()
		wg.Wait()
	}
}
