package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app/api"
	"github.com/fnmesh/fnmesh/internal/app/nodes"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/history"
	"github.com/fnmesh/fnmesh/internal/telemetry"
	"github.com/fnmesh/fnmesh/triggers"
	"github.com/fnmesh/fnmesh/workers/scale"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// drainMargin is how much longer than the shutdown timeout the whole stop
// may take: the HTTP server, the scalers and the runtimes drain one after
// the other.
const drainMargin = 10 * time.Second

// runMetricsTail is how long the run history metrics read on after the
// workers stopped: a little more than the recorders' flush interval.
const runMetricsTail = 2 * history.DefaultFlushInterval

// App is one running `fnmesh up`: what it started, so that Close stops it
// in reverse order.
type App struct {
	cfg Config
	log *slog.Logger
	m   *config.Mesh

	tel     *telemetry.Telemetry
	emb     *embedded.Server
	cluster embedded.ClusterConfig // of emb; zero on a single server
	embNATS workerenv.NATS         // how workers reach emb
	nc      *nats.Conn
	client  *broker.Client
	natsURL string

	applied   Applied         // what declare declared
	nodes     *nodes.Registry // the live nodes of an embedded cluster; nil without
	streams   *broker.StreamCheck
	evictions *broker.EvictionWatch

	mux *triggers.Mux
	// triggerCfg is what mux was built from, counts what its triggers
	// received (for the triggers view).
	triggerCfg triggers.MuxConfig
	counts     *triggerCounts
	replies    *triggers.ReplyWaiter
	runtimes   []closer
	scalers    []*scale.Scaler
	srv        *triggers.Server

	started   time.Time       // the run history metrics count from here
	recent    *history.Window // the last api.RateWindow of run history
	draining  atomic.Bool
	closeOnce sync.Once
}

type closer interface{ Close(context.Context) error }

// Run starts the mesh of cfg, serves until ctx ends, then drains and stops
// (see the package documentation for the order).
func Run(ctx context.Context, cfg Config) error {
	a, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Serve(ctx)
}

// New starts everything but the listener, the crons and the scalers: the
// broker, the streams, the triggers and the runtimes. Close undoes it; on
// an error New has already undone what it started.
func New(ctx context.Context, cfg Config) (_ *App, err error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: cfg.Log, m: cfg.Mesh, started: time.Now(), recent: history.NewWindow(api.RateWindow)}
	for _, w := range a.m.Warnings() {
		a.log.Warn("mesh file: " + w)
	}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.tel, err = telemetry.Setup(ctx, "fnmesh"); err != nil {
		return nil, err
	}
	if err := a.connect(ctx); err != nil {
		return nil, err
	}
	if err := a.declare(ctx); err != nil {
		return nil, err
	}
	if err := a.watchStreams(); err != nil {
		return nil, err
	}
	if a.mux, err = a.triggers(ctx); err != nil {
		return nil, err
	}
	if a.runsFunctions() {
		// Nothing starts yet: replicas come when the scalers run.
		if err := a.functions(); err != nil {
			return nil, err
		}
	}
	h, err := a.handler()
	if err != nil {
		return nil, err
	}
	if a.srv, err = triggers.NewServer(triggers.ServerConfig{
		Addr: cfg.Env.HTTPAddr, TLSCertFile: cfg.Env.TLSCert, TLSKeyFile: cfg.Env.TLSKey,
	}, h, triggers.WithLogger(a.log)); err != nil {
		return nil, err
	}
	return a, nil
}

// URL is where the HTTP listener serves: "http://host:port" or "https://...".
func (a *App) URL() string { return a.srv.URL() }

// NATSURL is the URL workers and other commands reach the broker at.
func (a *App) NATSURL() string { return a.natsURL }

// Serve serves HTTP and runs the crons and the scalers until ctx ends, then
// drains them. It returns the errors of the drain, joined.
func (a *App) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := a.srv.Serve(); err != nil {
			a.log.Error("http server", "err", err)
		}
	})
	a.log.Info("mesh up", "http", a.srv.URL(), "nats", a.natsURL, "file", a.m.File,
		"triggers", len(a.m.Triggers), "functions", len(a.m.Functions))

	stopRunMetrics := a.runMetrics(a.started)
	defer stopRunMetrics()
	runCtx, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	for _, c := range a.mux.Crons() {
		wg.Go(func() {
			if err := c.Run(runCtx); err != nil {
				a.log.Error("cron trigger", "err", err)
			}
		})
	}
	if a.cfg.WatchInterval > 0 {
		wg.Go(func() { a.watch(runCtx) })
	}
	if a.nodes != nil {
		wg.Go(func() { _ = a.nodes.Run(runCtx) })
	}
	for _, sc := range a.scalers {
		wg.Go(func() {
			if err := sc.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("scaler", "err", err)
			}
		})
	}

	<-ctx.Done()
	a.log.Info("shutting down: draining")
	a.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout+drainMargin)
	defer cancel()
	var errs []error
	errs = append(errs, a.srv.Shutdown(sctx))
	cancelRun()
	for _, sc := range a.scalers {
		errs = append(errs, sc.StopAll(sctx))
	}
	for _, rt := range a.runtimes {
		errs = append(errs, rt.Close(sctx))
	}
	// The last records of the drained workers reach the history after
	// them (history.DefaultFlushInterval).
	time.Sleep(runMetricsTail)
	stopRunMetrics()
	wg.Wait()
	return errors.Join(errs...)
}

// Close releases what New started: the reply waiter, telemetry, the
// connection and the embedded server. It is idempotent; Serve must have
// returned (or never been called).
func (a *App) Close() {
	a.closeOnce.Do(func() {
		if a.srv != nil {
			_ = a.srv.Close()
		}
		if a.replies != nil {
			a.replies.Close()
		}
		if a.evictions != nil {
			_ = a.evictions.Close()
		}
		if a.tel != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = a.tel.Shutdown(ctx)
			cancel()
		}
		if a.nc != nil {
			_ = a.nc.Drain()
		}
		if a.emb != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := a.emb.Shutdown(ctx); err != nil {
				a.log.Error("embedded server shutdown", "err", err)
			}
		}
	})
}

// workerNATS is how workers reach the broker: the embedded server's URL
// and the credentials of its data directory, or the external server's URL
// with the credentials `up` itself connects with.
func (a *App) workerNATS() workerenv.NATS {
	if a.emb != nil {
		return a.embNATS
	}
	n := a.cfg.NATS
	n.URL = a.natsURL
	return n
}
