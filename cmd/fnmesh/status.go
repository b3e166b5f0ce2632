package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/workers/scale"
)

func newStatusCmd(g *globals) *cobra.Command {
	var base string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each function's backlog, replicas and last scaling decision (from a running `fnmesh up`)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
			defer cancel()
			if base == "" {
				base = g.httpBase(cmd.ErrOrStderr())
			}
			var st app.Status
			if err := apiCall(ctx, g, base, "/status", &st); err != nil {
				return err
			}
			if g.output == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(st)
			}
			if err := printStatus(cmd, st.Functions); err != nil {
				return err
			}
			if err := printScheduled(cmd.OutOrStdout(), st.Scheduled); err != nil {
				return err
			}
			return printCluster(cmd.OutOrStdout(), st.Cluster)
		},
	}
	cmd.Flags().StringVar(&base, "addr", "", "base URL of the running mesh (default: env FNMESH_URL, else the `fnmesh up` of the data directory, else "+defaultHTTP+")")
	return cmd
}

func printStatus(cmd *cobra.Command, fns []scale.FunctionStatus) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tBACKLOG\tACK PENDING\tDESIRED\tACTUAL\tFLOW\tLAST DECISION")
	for _, f := range fns {
		last := f.LastScale
		if last.Time.IsZero() {
			last = f.LastDecision
		}
		desc := fmt.Sprintf("%d->%d %s", last.From, last.To, last.Reason)
		if !last.Time.IsZero() {
			desc = last.Time.Format(time.TimeOnly) + " " + desc
		}
		if f.Error != "" {
			desc += " (" + f.Error + ")"
		}
		flow := f.Flow
		if flow == "" {
			flow = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\n", f.Function, f.Backlog, f.AckPending, f.Desired, f.Actual, flow, desc)
	}
	return tw.Flush()
}

// printScheduled lists the events each stream keeps for later, after the
// functions; nothing when no stream keeps schedules.
func printScheduled(w io.Writer, counts []broker.StreamScheduled) error {
	if len(counts) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nSTREAM\tSCHEDULED")
	for _, c := range counts {
		fmt.Fprintf(tw, "%s\t%d\n", c.Stream, c.Scheduled)
	}
	return tw.Flush()
}
