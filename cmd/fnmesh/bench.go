package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/fnmesh/fnmesh/internal/bench"
	"github.com/fnmesh/fnmesh/internal/telemetry"
)

func newBenchCmd(g *globals) *cobra.Command {
	var (
		cfg        bench.Config
		natsURL    string
		cpuProfile string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure fnmesh against plain nats.go on this machine (ingest, pipeline, latency, scale)",
		Long: `Each scenario runs a baseline written directly on nats.go right before (ingest:
interleaved with) the fnmesh run, on the same broker, and prints both and
their ratio. The broker is an embedded nats-server in a temporary directory
unless --nats-url names one (its streams are then created for the run and
deleted after). Flags left unset take the scenario's defaults.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("bench: name a scenario: one of %v", bench.Scenarios())
			}
			return fmt.Errorf("bench: scenario %q: %w (one of %v)", args[0], bench.ErrUnknownScenario, bench.Scenarios())
		},
	}
	pf := cmd.PersistentFlags()
	pf.IntVar(&cfg.Count, "count", 0, "events to publish then consume (pipeline, default 50000) or per burst (scale, default 2000)")
	pf.IntVar(&cfg.Size, "size", 0, "payload bytes (default 256)")
	pf.DurationVar(&cfg.Duration, "duration", 0, "time measured per side (ingest, latency; default 5s)")
	pf.IntVar(&cfg.Concurrency, "concurrency", 0, "HTTP clients, publishers and events in flight per fnmesh replica (default 32; scale 4)")
	pf.IntVar(&cfg.Replicas, "replicas", 0, "consumers per side (pipeline, latency; default 1) or most replicas (scale; default 4)")
	pf.IntVar(&cfg.Rate, "rate", 0, "publish rate in events/s (latency; default 5000)")
	pf.BoolVar(&cfg.History, "history", false, "pipeline: also measure fnmesh with the run history recorded, and report history on/off")
	pf.DurationVar(&cfg.Work, "work", 0, "handler work per event (scale; default 5ms)")
	pf.IntVar(&cfg.Batch, "batch", 0, "ingest: post batches of this many events and compare with posting them one by one (atomic up to 1000, else fast batch publish)")
	pf.StringVar(&natsURL, "nats-url", "", "external NATS server (credentials from NATS_USER, NATS_CREDS, ...; default: embedded)")
	pf.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (samples carry the label side=fnmesh|baseline)")

	for _, sc := range []struct{ name, short string }{
		{bench.Ingest, "POST /events (binary CloudEvents) vs a handler that only publishes the body"},
		{bench.Pipeline, "publish then consume --count events: fnmesh workers vs nats.go Consume+Ack"},
		{bench.Latency, "publish-to-handler latency at --rate events/s: fnmesh vs nats.go"},
		{bench.Scale, "cold start, scale-up and drain with the process runtime vs one fixed replica"},
		{bench.RateLimit, "--replicas workers (default 3) of a function with rateLimit --rate/s (default 200) over a backlog for --duration (default 20s): most starts in any 10 s window vs the limit +10 %"},
		{bench.Delay, "schedule --count events (default 10000) with deliverat over --duration (default 1m) and report how late they arrive"},
	} {
		cmd.AddCommand(&cobra.Command{
			Use:   sc.name,
			Short: sc.short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				run := cfg
				run.NATS = g.conn
				run.NATS.URL = natsURL
				if sc.name == bench.Scale {
					self, err := os.Executable()
					if err != nil {
						return fmt.Errorf("scale: the fnmesh binary runs the replicas: %w", err)
					}
					run.WorkerCommand = []string{self, "bench", "worker"}
				}
				if term.IsTerminal(int(os.Stderr.Fd())) {
					run.Progress = os.Stderr
				}
				// Warnings and errors only, unless FNMESH_LOG_LEVEL asks for
				// debug: info lines would break the progress line.
				level := g.env.LogLevel
				if level == "info" {
					level = "warn"
				}
				log, err := telemetry.NewLogger(os.Stderr, level, g.env.LogFormat)
				if err != nil {
					return err
				}
				run.Log = log
				if cpuProfile != "" {
					f, err := os.Create(cpuProfile)
					if err != nil {
						return fmt.Errorf("--cpuprofile: %w", err)
					}
					defer f.Close()
					if err := pprof.StartCPUProfile(f); err != nil {
						return fmt.Errorf("--cpuprofile: %w", err)
					}
					defer pprof.StopCPUProfile()
				}
				res, err := bench.Run(cmd.Context(), sc.name, run)
				if err != nil {
					return err
				}
				if g.output == "json" {
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(res)
				}
				return res.WriteText(cmd.OutOrStdout())
			},
		})
	}
	cmd.AddCommand(&cobra.Command{
		Use:    "worker",
		Short:  "Run one replica of the scale scenario's function (started by `fnmesh bench scale`)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			return bench.ServeWorker(cmd.Context(), os.Getenv, log)
		},
	})
	return cmd
}
