package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/internal/app"
)

func newApplyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "apply",
		Short: "Create or update the mesh's streams, key-value buckets and function consumers on NATS",
		Long: `Create, or update to match the mesh file, everything the mesh declares on
NATS: its streams and the dead-letter stream, the key-value buckets of its
webhook and cron triggers, and the durable consumer of every function. It
runs nothing else, and applying the same file twice changes nothing.

It connects to NATS_URL (default nats://127.0.0.1:4222) with the NATS_*
credentials, like the other commands. Run it before anything reads a
consumer, e.g. before KEDA polls a function at zero replicas:

  NATS_URL=nats://nats.messaging.svc:4222 fnmesh apply -f mesh.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, m, closeFn, err := connectMesh(cmd, g)
			if err != nil {
				return err
			}
			defer closeFn()
			applied, err := app.Apply(cmd.Context(), c, m)
			for _, w := range applied.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: warning: %s\n", g.env.File, w)
			}
			if err != nil {
				return err
			}
			if g.output == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(applied)
			}
			w := cmd.OutOrStdout()
			for _, s := range applied.Streams {
				fmt.Fprintf(w, "stream %s\n", s)
			}
			for _, b := range applied.Buckets {
				fmt.Fprintf(w, "bucket %s\n", b)
			}
			for _, c := range applied.Consumers {
				fmt.Fprintf(w, "consumer %s/%s (function %s) filters %s\n", c.Stream, c.Consumer, c.Function, strings.Join(c.FilterSubjects, ","))
			}
			return nil
		},
	}
}
