package app

import (
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app/api"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/history"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// api builds the JSON API of `up` (/api/v1/) over its connection.
func (a *App) api() (*api.API, error) {
	runs, err := history.NewReader(a.nc, meshmap.History(a.m))
	if err != nil {
		return nil, err
	}
	dlq, err := broker.NewDeadLetterQueue(a.client, meshmap.DeadLetter(a.m))
	if err != nil {
		return nil, err
	}
	cfg := api.Config{Runs: runs, Recent: a.recent, Events: a.client, Replayer: a.client, Scheduled: a.client, DeadLetters: dlq, Log: a.log, Status: a.scaleStatus, Triggers: a.triggersView}
	for _, s := range a.m.Streams {
		cfg.Streams = append(cfg.Streams, s.Name)
	}
	if cfg.Functions, err = APIFunctions(a.m); err != nil {
		return nil, err
	}
	return api.New(cfg)
}

// APIFunctions are the functions of m as the API describes them, with
// their consumers' subjects and filters (what a replay to one of them
// reads and applies).
func APIFunctions(m *config.Mesh) ([]api.Function, error) {
	var out []api.Function
	for i := range m.Functions {
		fn := &m.Functions[i]
		w, p := meshmap.Worker(m, fn).WithDefaults(), meshmap.Params(fn).WithDefaults()
		filter, err := workers.CompileFilters(w.Filters)
		if err != nil {
			return nil, err // a validated mesh compiles
		}
		out = append(out, api.Function{
			Name: fn.Name, Stream: w.Stream, Runtime: fn.Run.Runtime, Concurrency: w.Concurrency,
			Timeout: history.Duration(w.Timeout), Retry: *w.Delivery.Retry, MinReplicas: p.Min, MaxReplicas: p.Max,
			Subjects:  workers.FilterSubjects(w.SubjectPrefix, w.Filters),
			RateLimit: fn.RateLimit, Ordering: fn.Ordering, Batch: fn.Batch,
			Match: func(e *event.Event) bool { ok, err := filter.Match(e); return err == nil && ok },
		})
	}
	return out, nil
}

// scaleStatus is every scaler's view of its functions.
func (a *App) scaleStatus() []scale.FunctionStatus {
	var out []scale.FunctionStatus
	for _, sc := range a.scalers {
		out = append(out, sc.Status()...)
	}
	return out
}
