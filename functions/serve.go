package functions

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/history"
	"github.com/fnmesh/fnmesh/internal/telemetry"
	"github.com/fnmesh/fnmesh/workers"
)

// Errors Serve returns for a process that is not told what to serve.
var (
	// ErrNoFunction means neither FNMESH_FUNCTION nor WithFunction names the
	// function to serve.
	ErrNoFunction = errors.New("FNMESH_FUNCTION is required: the name of the function this process serves")
	// ErrUnknownFunction means the mesh declares no function of that name.
	ErrUnknownFunction = errors.New("no such function in the mesh")
)

// Serve runs h as one replica of a function of the mesh until ctx is done,
// then drains: it stops pulling, finishes or naks the events in hand (within
// FNMESH_SHUTDOWN_TIMEOUT) and returns nil. Replicas of a function share its
// durable consumer, so each event goes to one of them.
//
// It is configured from the environment (the worker contract of package
// workerenv), each part replaceable by an option:
//
//	FNMESH_FUNCTION          the function to serve (required; WithFunction)
//	FNMESH_FILE              the mesh file, default mesh.yaml (WithMesh)
//	NATS_URL, NATS_USER, ... how to reach NATS, as the nats CLI spells them (WithConn)
//	FNMESH_LOG_LEVEL         debug, info (default), warn or error (WithLogger)
//	FNMESH_LOG_FORMAT        text (default) or json (WithLogger)
//	FNMESH_REPLICA           the replica id in logs, default hostname-pid
//	FNMESH_SHUTDOWN_TIMEOUT  the drain bound, default 30s (workers.DefaultShutdownTimeout)
//	FNMESH_HEALTH_ADDR       when set, serves GET /livez, /readyz and /metrics there
//	FNMESH_HISTORY           false records no run history (the mesh's history.enabled otherwise)
//	OTEL_*                   tracing and metrics export, as OpenTelemetry documents them
//
// Configuration errors name the variable or field at fault.
func Serve(ctx context.Context, h Handler, opts ...ServeOption) error {
	if h == nil {
		return errors.New("functions: serve: handler is nil")
	}
	var sc serveConfig
	for _, o := range opts {
		if o != nil {
			o(&sc)
		}
	}
	env, err := readServeEnv()
	if err != nil {
		return fmt.Errorf("functions: %w", err)
	}
	log := sc.log
	if log == nil {
		if log, err = telemetry.NewLogger(os.Stderr, env.LogLevel, env.LogFormat); err != nil {
			return fmt.Errorf("functions: environment: %w", err)
		}
	}
	name := sc.function
	if name == "" {
		name = env.Function
	}
	if name == "" {
		return fmt.Errorf("functions: %w", ErrNoFunction)
	}
	file := sc.meshFile
	if file == "" {
		file = env.File
	}
	fc, ok, err := meshmap.LoadFunction(file, name)
	if err != nil {
		return fmt.Errorf("functions: %w", err)
	}
	if !ok {
		return fmt.Errorf("functions: function %q (FNMESH_FUNCTION): %w (%s)", name, ErrUnknownFunction, file)
	}
	log = log.With("function", name)

	nc := sc.conn
	if nc == nil {
		nc, err = broker.Connect(ctx, meshmap.Conn(env.NATS), "fnmesh-"+name)
		if err != nil {
			if ctx.Err() != nil {
				return nil // asked to stop before we were connected
			}
			return fmt.Errorf("functions: %w", err)
		}
		defer func() {
			_ = nc.FlushTimeout(2 * time.Second)
			nc.Close()
		}()
	}
	// Tracing and metrics come from the standard OTEL_* environment unless
	// the caller installed its own hooks.
	var metrics http.Handler
	bopts := []broker.Option{broker.WithLogger(log)}
	if sc.hooks.Deliver == nil {
		tel, err := telemetry.Setup(ctx, name)
		if err != nil {
			return fmt.Errorf("functions: %w", err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = tel.Shutdown(sctx)
		}()
		sc.hooks = workers.Hooks{Deliver: tel.Deliver}
		bopts = append(bopts, broker.WithHooks(broker.PublishHooks{Before: tel.BeforePublish}))
		metrics = tel.MetricsHandler
	}
	if !fc.History.Disabled && !env.NoHistory {
		rec, err := history.NewRecorder(nc, fc.History, history.WithLogger(log))
		if err != nil {
			return fmt.Errorf("functions: %w", err)
		}
		defer flushHistory(rec, log)
		sc.hooks = history.Hooks(rec, replicaName(env.Replica), sc.hooks)
	}
	client, err := broker.New(nc, fc.Broker, bopts...)
	if err != nil {
		return fmt.Errorf("functions: %w", err)
	}
	cfg := fc.Worker
	cfg.Replica, cfg.ShutdownTimeout = env.Replica, env.ShutdownTimeout
	dlq, err := broker.NewDeadLetterQueue(client, fc.DeadLetter)
	if err != nil {
		return fmt.Errorf("functions: %w", err)
	}
	wb := workers.Broker{Consumers: client, Publisher: client, DeadLetterer: dlq}
	w, err := workers.New(cfg, wb, h, workers.WithLogger(log), workers.WithHooks(sc.hooks))
	if err != nil {
		return fmt.Errorf("functions: %w", err)
	}

	ln := sc.healthLn
	if ln == nil && env.HealthAddr != "" {
		if ln, err = net.Listen("tcp", env.HealthAddr); err != nil {
			return fmt.Errorf("functions: FNMESH_HEALTH_ADDR %q: %w", env.HealthAddr, err)
		}
	}
	if ln != nil {
		hs := startHealth(ln, w.Ready, metrics, log)
		defer hs.shutdown()
		log.Debug("health endpoints listening", "addr", ln.Addr().String())
	}
	return w.Run(ctx)
}

// ServeMain is Serve for a program's main function: it serves h until
// SIGTERM or SIGINT, then drains and exits 0; on an error it prints the
// error to stderr and exits 1.
//
//	func main() { functions.ServeMain(functions.HandlerFunc(handle)) }
func ServeMain(h Handler, opts ...ServeOption) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := Serve(ctx, h, opts...)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
}
