package main

import (
	"context"
	"os"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/meshaddr"
)

type upFlags struct {
	httpAddr    string
	dataDir     string
	natsPort    int
	monitorAddr string
	noFunctions bool
}

func newUpCmd(g *globals) *cobra.Command {
	var f upFlags
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run the mesh: broker, triggers and functions from the mesh file",
		Long: `Run the mesh declared in the mesh file: an embedded NATS server with
JetStream (or the cluster at NATS_URL), the HTTP endpoint for CloudEvents,
routes and webhooks, the cron triggers, and the functions as local worker
processes scaled with their backlog. SIGTERM or Ctrl-C drains and stops.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("http-addr") {
				g.env.HTTPAddr = f.httpAddr
			}
			if cmd.Flags().Changed("data-dir") {
				g.env.DataDir = f.dataDir
			}
			if cmd.Flags().Changed("nats-port") {
				g.env.NATSPort = f.natsPort
			}
			if cmd.Flags().Changed("nats-monitor-addr") {
				g.env.NATSMonitorAddr = f.monitorAddr
			}
			return runUp(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.httpAddr, "http-addr", "", "HTTP listen address (env FNMESH_HTTP_ADDR, default 127.0.0.1:8080)")
	fl.StringVar(&f.dataDir, "data-dir", "", "embedded broker data dir (env FNMESH_DATA_DIR, default ./.fnmesh)")
	fl.IntVar(&f.natsPort, "nats-port", 0, "embedded NATS client port, 0 = random (env FNMESH_NATS_PORT, default 4222)")
	fl.StringVar(&f.monitorAddr, "nats-monitor-addr", "", "embedded NATS monitoring endpoint host:port for /jsz, /varz (env FNMESH_NATS_MONITOR_ADDR, default off)")
	fl.BoolVar(&f.noFunctions, "no-functions", false, "run broker and triggers only; start no function workers")
	return cmd
}

func runUp(ctx context.Context, g *globals, f upFlags) error {
	log, err := g.logger()
	if err != nil {
		return err
	}
	stopTimeout, err := g.shutdownTimeout()
	if err != nil {
		return err
	}
	m, err := loadMesh(g.env.File)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, app.Config{
		Mesh: m, Env: g.env, NATS: g.nats, NoFunctions: f.noFunctions,
		ShutdownTimeout: stopTimeout, Log: log,
	})
	if err != nil {
		return err
	}
	defer a.Close()
	// Where this mesh listens, for publish, status, dlq and apply.
	addr := meshaddr.Addr{HTTP: a.URL(), NATS: meshaddr.RedactURL(a.NATSURL()), Ops: a.URL(), PID: os.Getpid()}
	if err := meshaddr.Write(g.env.DataDir, addr); err != nil {
		log.Warn("cannot record where the mesh listens; other commands need FNMESH_URL and NATS_URL", "error", err)
	} else {
		defer func() { _ = meshaddr.Remove(g.env.DataDir, addr.PID) }()
	}
	return a.Serve(ctx)
}
