package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app/api"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
)

func newDLQCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "dlq", Short: "Inspect dead letters and send them back"}
	var fn, since, typ, cesql string
	var ids []string
	var dryRun, all bool
	// selection is the dead letters the flags select, checked by the API's
	// own rules.
	selection := func(since time.Time) (broker.Selection, error) {
		sel := broker.Selection{Function: fn, Since: since, IDs: ids, Type: typ}
		if cesql != "" {
			m, err := api.CompileCESQL("cesql", cesql)
			if err != nil {
				return sel, fmt.Errorf("--%w", err)
			}
			sel.Match = m
		}
		return sel, nil
	}
	// run parses --since, connects to the mesh's broker and calls do.
	run := func(cmd *cobra.Command, do func(q *broker.DeadLetterQueue, since time.Time) error) error {
		t, err := parseSince(since)
		if err != nil {
			return err
		}
		c, m, closeFn, err := connectMesh(cmd, g)
		if err != nil {
			return err
		}
		defer closeFn()
		q, err := broker.NewDeadLetterQueue(c, meshmap.DeadLetter(m))
		if err != nil {
			return err
		}
		return do(q, t)
	}
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List dead letters",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd, func(q *broker.DeadLetterQueue, since time.Time) error {
				out := []deadLetterRow{}
				err := q.List(cmd.Context(), fn, since, func(d broker.DeadLetter) bool {
					row := deadLetterRow{Seq: d.Seq, Function: d.Function, Attempts: d.Attempts, Reason: d.Reason, Time: d.Time}
					if d.Event != nil {
						row.ID, row.Type, row.Source = d.Event.ID(), d.Event.Type(), d.Event.Source()
						row.Event, _ = json.Marshal(d.Event)
					}
					out = append(out, row)
					return true
				})
				if err != nil {
					return err
				}
				if g.output == "json" {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(out)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SEQ\tFUNCTION\tTYPE\tID\tATTEMPTS\tTIME\tREASON")
				for _, r := range out {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Seq, r.Function, r.Type, r.ID, r.Attempts, r.Time.Format(time.RFC3339), r.Reason)
				}
				return tw.Flush()
			})
		},
	}
	redrive := &cobra.Command{
		Use:   "redrive",
		Short: "Send dead letters back to their functions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd, func(q *broker.DeadLetterQueue, since time.Time) error {
				sel, err := selection(since)
				if err != nil {
					return err
				}
				n, err := q.RedriveSelected(cmd.Context(), sel, dryRun)
				return report(cmd, g, "redriven", "redrove", n, dryRun, err)
			})
		},
	}
	purge := &cobra.Command{
		Use:   "purge",
		Short: "Delete dead letters for good (select them by --id, --type, --function, --cesql or --since, or --all)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !all && len(ids) == 0 && typ == "" && fn == "" && cesql == "" && since == "" {
				return fmt.Errorf("purge: select dead letters with --id, --type, --function, --cesql or --since, or pass --all")
			}
			return run(cmd, func(q *broker.DeadLetterQueue, since time.Time) error {
				sel, err := selection(since)
				if err != nil {
					return err
				}
				n, err := q.Purge(cmd.Context(), sel, dryRun)
				return report(cmd, g, "purged", "purged", n, dryRun, err)
			})
		},
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show the dead letters of one event id: why, and the event with its data",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, func(q *broker.DeadLetterQueue, _ time.Time) error {
				var out []deadLetterRow
				err := q.List(cmd.Context(), "", time.Time{}, func(d broker.DeadLetter) bool {
					if d.Event != nil && d.Event.ID() == args[0] {
						row := deadLetterRow{Seq: d.Seq, Function: d.Function, Attempts: d.Attempts, Reason: d.Reason, Time: d.Time,
							ID: d.Event.ID(), Type: d.Event.Type(), Source: d.Event.Source()}
						row.Event, _ = json.Marshal(d.Event)
						out = append(out, row)
					}
					return true
				})
				if err != nil {
					return err
				}
				if len(out) == 0 {
					return fmt.Errorf("no dead letter of event %q", args[0])
				}
				if g.output == "json" {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(out)
				}
				for _, r := range out {
					fmt.Fprintf(cmd.OutOrStdout(), "seq %d  function %s  attempts %d  at %s\nreason: %s\n", r.Seq, r.Function, r.Attempts, r.Time.Format(time.RFC3339), r.Reason)
					var pretty bytes.Buffer
					_ = json.Indent(&pretty, r.Event, "", "  ")
					fmt.Fprintf(cmd.OutOrStdout(), "%s\n", pretty.Bytes())
				}
				return nil
			})
		},
	}
	for _, c := range []*cobra.Command{ls, redrive, purge} {
		c.Flags().StringVar(&fn, "function", "", "only this function's dead letters")
		c.Flags().StringVar(&since, "since", "", "only dead letters newer than a duration (1h) or RFC 3339 time")
	}
	for _, c := range []*cobra.Command{redrive, purge} {
		c.Flags().StringSliceVar(&ids, "id", nil, "only the dead letters of these event ids (repeat or comma-separate)")
		c.Flags().StringVar(&typ, "type", "", "only events of this type")
		c.Flags().StringVar(&cesql, "cesql", "", "only events this CloudEvents SQL expression selects")
		c.Flags().BoolVar(&dryRun, "dry-run", false, "count what would be done, do nothing")
	}
	purge.Flags().BoolVar(&all, "all", false, "purge every dead letter the other flags select (needed when none is given)")
	cmd.AddCommand(ls, show, redrive, purge)
	return cmd
}

// deadLetterRow is one line of `fnmesh dlq ls`.
type deadLetterRow struct {
	Seq      uint64    `json:"seq"`
	Function string    `json:"function"`
	Attempts int       `json:"attempts"`
	Reason   string    `json:"reason"`
	Time     time.Time `json:"time"`
	ID       string    `json:"id,omitempty"`
	Type     string    `json:"type,omitempty"`
	Source   string    `json:"source,omitempty"`
	// Event is the CloudEvent with its data (JSON format).
	Event json.RawMessage `json:"event,omitempty"`
}

// report prints what a redrive or purge did (or, dry, would do).
func report(cmd *cobra.Command, g *globals, key, verb string, n int, dryRun bool, err error) error {
	if err != nil {
		return err
	}
	if g.output == "json" {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{key: n, "dryRun": dryRun})
	}
	if dryRun {
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "dry run: would have %s %d dead letters\n", key, n)
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s %d dead letters\n", verb, n)
	return err
}

// parseSince reads --since: a duration back from now, or an RFC 3339 time.
func parseSince(since string) (time.Time, error) {
	if since == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(since); err == nil {
		return time.Now().Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, since)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: must be a duration (1h) or an RFC 3339 time", since)
	}
	return t, nil
}

// connectMesh loads the mesh file and connects to NATS_URL (default
// nats://127.0.0.1:4222, the embedded server of `fnmesh up`).
func connectMesh(cmd *cobra.Command, g *globals) (*broker.Client, *config.Mesh, func(), error) {
	m, err := loadMesh(g.env.File)
	if err != nil {
		return nil, nil, nil, err
	}
	nc, err := broker.Connect(cmd.Context(), g.conn, "fnmesh-cli")
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := broker.New(nc, meshmap.Broker(m))
	if err != nil {
		nc.Close()
		return nil, nil, nil, err
	}
	return c, m, nc.Close, nil
}
