// Command worker is the worker program of the scaler and process runtime
// tests: it serves one function of a mesh file with a handler that sleeps,
// then appends "<source>|<id>" to a file of its own before returning.
//
// Environment: FNMESH_FUNCTION, FNMESH_FILE, NATS_URL and FNMESH_REPLICA as
// the process runtime sets them; WORKER_OUT_DIR (required) is where the
// file "<replica>-<pid>.txt" is written; WORKER_SLEEP is the handler's sleep
// (Go duration, default 0); WORKER_ACK_SUBJECT, when set, receives an empty
// message on "<subject>.<replica>" after the first event this process acked.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

type recorder struct {
	sleep time.Duration
	mu    sync.Mutex
	f     *os.File
}

func (r *recorder) Handle(ctx context.Context, e event.Event) ([]event.Event, error) {
	if r.sleep > 0 {
		select {
		case <-time.After(r.sleep):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err := fmt.Fprintf(r.f, "%s|%s\n", e.Source(), e.ID())
	return nil, err
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	name, replica := os.Getenv(workerenv.Function), os.Getenv(workerenv.Replica)
	m, err := meshmap.Load(os.Getenv(workerenv.File))
	if err != nil {
		return err
	}
	fn, ok := m.Function(name)
	if !ok {
		return fmt.Errorf("no function %q", name)
	}
	var sleep time.Duration
	if s := os.Getenv("WORKER_SLEEP"); s != "" {
		if sleep, err = time.ParseDuration(s); err != nil {
			return fmt.Errorf("WORKER_SLEEP: %w", err)
		}
	}
	out := os.Getenv("WORKER_OUT_DIR")
	if out == "" {
		return errors.New("WORKER_OUT_DIR is required")
	}
	f, err := os.OpenFile(filepath.Join(out, fmt.Sprintf("%s-%d.txt", replica, os.Getpid())), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()

	nc, err := broker.Connect(ctx, broker.ConnConfig{URL: os.Getenv(workerenv.NATSURL)}, "worker-"+replica)
	if err != nil {
		return err
	}
	defer nc.Close()
	c, err := broker.New(nc, meshmap.Broker(m))
	if err != nil {
		return err
	}
	var hooks workers.Hooks
	if subj := os.Getenv("WORKER_ACK_SUBJECT"); subj != "" {
		hooks.Deliver = firstAck(nc, subj+"."+replica)
	}
	cfg := meshmap.Worker(m, fn)
	cfg.Replica = replica
	wb, err := meshmap.WorkerBroker(c, m)
	if err != nil {
		return err
	}
	w, err := workers.New(cfg, wb, &recorder{sleep: sleep, f: f}, workers.WithLogger(log), workers.WithHooks(hooks))
	if err != nil {
		return err
	}
	log.Info("worker running", "function", name, "replica", replica)
	return w.Run(ctx)
}

// firstAck announces the first acknowledged event of this process.
func firstAck(nc *nats.Conn, subject string) func(context.Context, string, nats.Header, *event.Event, uint64) (context.Context, func(string, error)) {
	var once sync.Once
	return func(ctx context.Context, _ string, _ nats.Header, _ *event.Event, _ uint64) (context.Context, func(string, error)) {
		return ctx, func(outcome string, _ error) {
			if outcome != "ok" {
				return
			}
			once.Do(func() {
				_ = nc.Publish(subject, nil)
				_ = nc.Flush()
			})
		}
	}
}
