package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		stop()
		os.Exit(1)
	}
}

// settings are the command line.
type settings struct {
	count, size, concurrency, rate int
	duration                       time.Duration
	natsURL                        string
	json                           bool
}

// parseFlags reads the command line; usage and flag errors are also
// written to usage.
func parseFlags(args []string, usage io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("peers", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.IntVar(&s.count, "count", 50000, "events per system in the throughput phase")
	fs.IntVar(&s.size, "size", 256, "payload bytes (at least 8: the latency phase stores a timestamp in it)")
	fs.IntVar(&s.concurrency, "concurrency", 32, "publishers, and events in flight on the consume side")
	fs.IntVar(&s.rate, "rate", 2000, "events/s in the latency phase")
	fs.DurationVar(&s.duration, "duration", 3*time.Second, "length of the latency phase per system")
	fs.StringVar(&s.natsURL, "nats-url", "", "external NATS server (default: an embedded one in a temporary directory)")
	fs.BoolVar(&s.json, "json", false, "print one JSON object instead of the table")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	var errs []error
	check := func(ok bool, flag, rule string, v any) {
		if !ok {
			errs = append(errs, fmt.Errorf("-%s: %s, got %v", flag, rule, v))
		}
	}
	check(s.count >= 1 && s.count <= 10_000_000, "count", "must be between 1 and 10000000", s.count)
	check(s.size >= 8 && s.size <= 1<<20, "size", "must be between 8 and 1048576", s.size)
	check(s.concurrency >= 1 && s.concurrency <= 1024, "concurrency", "must be between 1 and 1024", s.concurrency)
	check(s.rate >= 1 && s.rate <= 1_000_000, "rate", "must be between 1 and 1000000", s.rate)
	check(s.duration >= 100*time.Millisecond && s.duration <= time.Hour, "duration", "must be between 100ms and 1h", s.duration)
	check(fs.NArg() == 0, "", "no arguments expected", fs.Args())
	return s, errors.Join(errs...)
}

// report is the JSON output.
type report struct {
	Settings map[string]any `json:"settings"`
	Systems  []result       `json:"systems"`
	// Ratios of fnmesh's consume rate to each other system's.
	FnmeshVsNATS      float64       `json:"fnmesh_vs_natsgo"`
	FnmeshVsWatermill float64       `json:"fnmesh_vs_watermill"`
	Machine           bench.Machine `json:"machine"`
}

func run(ctx context.Context, args []string, out io.Writer) error {
	s, err := parseFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	url := s.natsURL
	if url == "" {
		dir, err := os.MkdirTemp("", "fnmesh-peers-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		srv, err := embedded.Start(embedded.Config{DataDir: dir}, slog.New(slog.DiscardHandler))
		if err != nil {
			return err
		}
		defer srv.Shutdown(context.WithoutCancel(ctx))
		url = srv.ClientURL()
	}
	rep := report{
		Settings: map[string]any{"count": s.count, "size": s.size, "concurrency": s.concurrency,
			"rate": s.rate, "duration": s.duration.String(), "broker": map[bool]string{true: "embedded", false: "external"}[s.natsURL == ""]},
		Machine: bench.ThisMachine(),
	}
	for _, sys := range []system{newRaw(url, s), newWatermill(url, s), newFnmesh(url, s)} {
		fmt.Fprintf(os.Stderr, "%s...\n", sys.name())
		r, err := measure(ctx, sys, s)
		if err != nil {
			return fmt.Errorf("%s: %w", sys.name(), err)
		}
		rep.Systems = append(rep.Systems, r)
	}
	raw, wm, fn := rep.Systems[0], rep.Systems[1], rep.Systems[2]
	rep.FnmeshVsNATS = ratio(fn.ConsumeRate, raw.ConsumeRate)
	rep.FnmeshVsWatermill = ratio(fn.ConsumeRate, wm.ConsumeRate)
	if s.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeTable(out, rep, s)
}

func writeTable(out io.Writer, rep report, s settings) error {
	fmt.Fprintf(out, "pipeline: %d events of %d B, %d publishers, %d in flight; latency at %d events/s for %s; %s broker\n",
		s.count, s.size, s.concurrency, s.concurrency, s.rate, s.duration, rep.Settings["broker"])
	fmt.Fprintf(out, "machine: %s\n\n", rep.Machine)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "system\tpublish/s\tconsume/s\tlatency p50 ms\tp99 ms\t")
	for _, r := range rep.Systems {
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.3f\t%.3f\t\n", r.System, r.PublishRate, r.ConsumeRate, r.P50Ms, r.P99Ms)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "\nfnmesh consume rate: %.2fx nats.go, %.2fx Watermill\n", rep.FnmeshVsNATS, rep.FnmeshVsWatermill)
	return err
}
