package main

import (
	"context"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/meshaddr"
)

type upFlags struct {
	httpAddr    string
	dataDir     string
	natsPort    int
	monitorAddr string
	noFunctions bool

	clusterName   string
	clusterAddr   string
	clusterRoutes []string
	serverName    string
	secretFile    string
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
			f.applyCluster(cmd, &g.env.ClusterEnv)
			return runUp(cmd.Context(), g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.httpAddr, "http-addr", "", "HTTP listen address (env FNMESH_HTTP_ADDR, default 127.0.0.1:8080)")
	fl.StringVar(&f.dataDir, "data-dir", "", "embedded broker data dir (env FNMESH_DATA_DIR, default ./.fnmesh)")
	fl.IntVar(&f.natsPort, "nats-port", 0, "embedded NATS client port, 0 = random (env FNMESH_NATS_PORT, default 4222)")
	fl.StringVar(&f.monitorAddr, "nats-monitor-addr", "", "embedded NATS monitoring endpoint host:port for /jsz, /varz (env FNMESH_NATS_MONITOR_ADDR, default off)")
	fl.BoolVar(&f.noFunctions, "no-functions", false, "run broker and triggers only; start no function workers")
	fl.StringVar(&f.clusterName, "cluster-name", "", "make the embedded server a node of this NATS cluster, the same name on every node (env FNMESH_CLUSTER_NAME)")
	fl.StringVar(&f.clusterAddr, "cluster-addr", "", "route listener host:port of this node (env FNMESH_CLUSTER_ADDR, default 0.0.0.0:6222)")
	fl.StringSliceVar(&f.clusterRoutes, "cluster-routes", nil, "route URLs of the nodes, comma-separated, the same list on every node (env FNMESH_CLUSTER_ROUTES)")
	fl.StringVar(&f.serverName, "server-name", "", "this node's server name, distinct per node (env FNMESH_SERVER_NAME, default the host name)")
	fl.StringVar(&f.secretFile, "cluster-secret-file", "", "file holding the routes' shared secret (env FNMESH_CLUSTER_SECRET_FILE; or FNMESH_CLUSTER_SECRET; never a flag value)")
	return cmd
}

// applyCluster puts the cluster flags that were given over the
// environment's settings.
func (f upFlags) applyCluster(cmd *cobra.Command, c *config.ClusterEnv) {
	fl := cmd.Flags()
	if fl.Changed("cluster-name") {
		c.ClusterName = f.clusterName
	}
	if fl.Changed("cluster-addr") {
		c.ClusterAddr = f.clusterAddr
	}
	if fl.Changed("cluster-routes") {
		c.ClusterRoutes = f.clusterRoutes
	}
	if fl.Changed("server-name") {
		c.ServerName = f.serverName
	}
	if fl.Changed("cluster-secret-file") {
		c.ClusterSecretFile = f.secretFile
	}
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
	addr := meshaddr.Addr{HTTP: a.URL(), Ingest: strings.TrimSuffix(a.URL(), "/") + m.Ingest.Path, NATS: meshaddr.RedactURL(a.NATSURL()), Ops: a.URL(), PID: os.Getpid()}
	if err := meshaddr.Write(g.env.DataDir, addr); err != nil {
		log.Warn("cannot record where the mesh listens; other commands need FNMESH_URL and NATS_URL", "error", err)
	} else {
		defer func() { _ = meshaddr.Remove(g.env.DataDir, addr.PID) }()
	}
	return a.Serve(ctx)
}
