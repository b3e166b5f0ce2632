package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
)

func newDLQCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "dlq", Short: "Inspect dead letters and send them back"}
	var fn, since string
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
				n, err := q.Redrive(cmd.Context(), fn, since)
				if err != nil {
					return err
				}
				if g.output == "json" {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"redriven": n})
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "redrove %d dead letters\n", n)
				return err
			})
		},
	}
	for _, c := range []*cobra.Command{ls, redrive} {
		c.Flags().StringVar(&fn, "function", "", "only this function's dead letters")
		c.Flags().StringVar(&since, "since", "", "only dead letters newer than a duration (1h) or RFC 3339 time")
	}
	cmd.AddCommand(ls, redrive)
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
