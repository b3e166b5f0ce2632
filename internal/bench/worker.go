package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// Environment of a scale scenario replica, besides FNMESH_FUNCTION,
// FNMESH_FILE, FNMESH_REPLICA and NATS_URL that the process runtime sets.
const (
	// EnvWork is how long the handler works on each event (a Go duration).
	EnvWork = "FNMESH_BENCH_WORK"
	// EnvAckSubject, when set, is where the replica announces its first
	// acknowledged event (an empty message on "<subject>.<replica>").
	EnvAckSubject = "FNMESH_BENCH_ACK_SUBJECT"
)

// ErrWorkerEnv means a variable ServeWorker needs is missing or invalid.
var ErrWorkerEnv = errors.New("bench worker: bad environment")

// ServeWorker runs one replica of the scale scenario's function until ctx
// ends: a worker whose handler sleeps EnvWork per event. getenv reads the
// environment (os.Getenv); log may be nil.
func ServeWorker(ctx context.Context, getenv func(string) string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	name, file, replica := getenv(workerenv.Function), getenv(workerenv.File), getenv(workerenv.Replica)
	for _, kv := range [][2]string{{workerenv.Function, name}, {workerenv.File, file}} {
		if kv[1] == "" {
			return fmt.Errorf("%w: %s: must be set", ErrWorkerEnv, kv[0])
		}
	}
	work, err := parseWork(getenv(EnvWork))
	if err != nil {
		return err
	}
	fn, ok, err := meshmap.LoadFunction(file, name)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: FNMESH_FUNCTION %q: no such function in %s", ErrWorkerEnv, name, file)
	}
	nc, err := broker.Connect(ctx, broker.ConnConfig{URL: getenv(workerenv.NATSURL)}, "fnmesh-bench-worker-"+replica)
	if err != nil {
		return err
	}
	defer nc.Close()
	c, err := broker.New(nc, fn.Broker, broker.WithLogger(log))
	if err != nil {
		return err
	}
	var hooks workers.Hooks
	if subj := getenv(EnvAckSubject); subj != "" && replica != "" {
		hooks.Deliver = announceFirstAck(nc, subj+"."+replica)
	}
	cfg := fn.Worker
	cfg.Replica = replica
	wb, err := workerBroker(c, fn.DeadLetter)
	if err != nil {
		return err
	}
	w, err := workers.New(cfg, wb, sleeper(work), workers.WithLogger(log), workers.WithHooks(hooks))
	if err != nil {
		return err
	}
	return w.Run(ctx)
}

// parseWork reads EnvWork: empty means no work, else a Go duration
// between 0 and maxWork. Errors wrap ErrWorkerEnv.
func parseWork(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > maxWork {
		return 0, fmt.Errorf("%w: %s %q: must be a Go duration between 0 and %s", ErrWorkerEnv, EnvWork, s, maxWork)
	}
	return d, nil
}

// sleeper is a handler that works for d on each event.
func sleeper(d time.Duration) workers.Handler {
	return handlerFunc(func(ctx context.Context, _ event.Event) ([]event.Event, error) {
		if d <= 0 {
			return nil, nil
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
}

// announceFirstAck publishes on subject once, after the first event this
// process acknowledged.
func announceFirstAck(nc *nats.Conn, subject string) func(context.Context, string, nats.Header, *event.Event, uint64) (context.Context, func(string, error)) {
	var once sync.Once
	return func(ctx context.Context, _ string, _ nats.Header, _ *event.Event, _ uint64) (context.Context, func(string, error)) {
		return ctx, func(outcome string, _ error) {
			if outcome == workers.OutcomeOK {
				once.Do(func() {
					_ = nc.Publish(subject, nil)
					_ = nc.Flush()
				})
			}
		}
	}
}
