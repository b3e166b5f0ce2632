package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/meshaddr"
	"github.com/fnmesh/fnmesh/internal/telemetry"
	"github.com/fnmesh/fnmesh/workers/workerenv"
)

// globals are the settings every subcommand shares: defaults, then the
// environment, then flags.
type globals struct {
	env config.Env
	// nats is how this process and the workers it starts reach NATS (the
	// NATS_* variables of the worker contract); conn is the same for the
	// broker client of the other commands, with the credentials of the
	// data directory when the environment names none.
	nats   workerenv.NATS
	conn   broker.ConnConfig
	output string
	// running is where the `fnmesh up` of the data directory listens, when
	// one runs (see meshaddr); found reports it.
	running meshaddr.Addr
	found   bool
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "fnmesh",
		Short:         "Event-driven functions on NATS JetStream",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return g.load(cmd)
		},
	}
	pf := root.PersistentFlags()
	pf.StringP("file", "f", "", "mesh file (env FNMESH_FILE, default mesh.yaml)")
	pf.StringVarP(&g.output, "output", "o", "text", "output format: text or json")
	root.AddCommand(
		newUpCmd(g),
		newApplyCmd(g),
		newPublishCmd(g),
		newValidateCmd(g),
		newVersionCmd(g),
		newWorkerCmd(g),
		newDLQCmd(g),
		newEventsCmd(g),
		newStatusCmd(g),
		newDeployCmd(g),
		newScalerCmd(g),
		newBenchCmd(g),
	)
	return root
}

func (g *globals) load(cmd *cobra.Command) error {
	env, err := config.LoadEnv()
	if err != nil {
		return err
	}
	g.env = env
	if g.nats, err = workerenv.ReadNATS(os.LookupEnv); err != nil {
		return fmt.Errorf("environment: %w", err)
	}
	if f, _ := cmd.Flags().GetString("file"); f != "" {
		g.env.File = f
	}
	if findsMesh[cmd.Name()] {
		if err := g.findRunning(); err != nil {
			return err
		}
	}
	g.conn = meshmap.Conn(withDataDirCredentials(g.nats, g.env.DataDir))
	if g.output != "text" && g.output != "json" {
		return fmt.Errorf("--output %q: must be text or json", g.output)
	}
	return nil
}

// findsMesh are the commands that talk to a running mesh and find it
// through the data directory when the environment does not say where it is.
var findsMesh = map[string]bool{"publish": true, "status": true, "ls": true, "redrive": true, "apply": true, "validate": true}

// Environment variables naming a running mesh, the same for every command:
// FNMESH_URL is the base URL of its HTTP listener ("http://127.0.0.1:8080")
// and NATS_URL its broker. FNMESH_ADDR is the old name of FNMESH_URL
// (status), still read.
const (
	envURL      = "FNMESH_URL"
	envURLOld   = "FNMESH_ADDR"
	defaultHTTP = "http://127.0.0.1:8080"
	envNATSURL  = "NATS_URL"
)

// findRunning reads where the `up` of the data directory listens and uses
// its broker when NATS_URL is not set.
func (g *globals) findRunning() error {
	a, ok, err := meshaddr.Read(g.env.DataDir)
	if err != nil {
		return fmt.Errorf("data directory %s: %w", g.env.DataDir, err)
	}
	g.running, g.found = a, ok
	if _, set := os.LookupEnv(envNATSURL); !set && ok && a.NATS != "" {
		g.nats.URL = a.NATS
	}
	return nil
}

// httpBase is the base URL of the running mesh: FNMESH_URL, else
// FNMESH_ADDR (with a note that the name is old), else what the running
// `up` of the data directory recorded, else the default address.
func (g *globals) httpBase(stderr io.Writer) string {
	if v := os.Getenv(envURL); v != "" {
		return v
	}
	if v := os.Getenv(envURLOld); v != "" {
		fmt.Fprintf(stderr, "fnmesh: %s is deprecated: set %s\n", envURLOld, envURL)
		return v
	}
	if g.found && g.running.HTTP != "" {
		return g.running.HTTP
	}
	return defaultHTTP
}

func (g *globals) logger() (*slog.Logger, error) {
	return telemetry.NewLogger(os.Stderr, g.env.LogLevel, g.env.LogFormat)
}

func (g *globals) shutdownTimeout() (time.Duration, error) {
	d, err := time.ParseDuration(g.env.ShutdownTimeout)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("FNMESH_SHUTDOWN_TIMEOUT %q: must be a positive Go duration", g.env.ShutdownTimeout)
	}
	return d, nil
}

// withDataDirCredentials is n, or, when n carries no credentials and the
// data directory holds those of an embedded server (`fnmesh up`), n with
// them: `fnmesh dlq` and `fnmesh publish --nats` reach the owner's own
// embedded server without NATS_USER and NATS_PASSWORD.
func withDataDirCredentials(n workerenv.NATS, dataDir string) workerenv.NATS {
	if n.User != "" || n.Password != "" || n.Token != "" || n.Creds != "" || n.NKey != "" {
		return n
	}
	if c, err := embedded.ReadCredentials(dataDir); err == nil {
		n.User, n.Password = c.User, c.Password
	}
	return n
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
