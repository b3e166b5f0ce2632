package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

func newValidateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check a mesh file and report every error with file:line:column",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := loadMesh(g.env.File)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{
					"file": g.env.File, "valid": true,
					"streams": len(m.Streams), "triggers": len(m.Triggers), "functions": len(m.Functions),
				})
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (%d streams, %d triggers, %d functions)\n",
				g.env.File, len(m.Streams), len(m.Triggers), len(m.Functions))
			return err
		},
	}
}
