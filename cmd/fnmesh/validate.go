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
		Long: `Check a mesh file and report every error with file:line:column. A valid
file may still get warnings: settings that are allowed but can lose work
(a discard: old stream with limits removes events before every function
processed them). Warnings go to standard error; the exit status is 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := loadMesh(g.env.File)
			if err != nil {
				return err
			}
			warnings := m.Warnings()
			if g.output == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{
					"file": g.env.File, "valid": true, "warnings": append([]string{}, warnings...),
					"streams": len(m.Streams), "triggers": len(m.Triggers), "functions": len(m.Functions),
				})
			}
			for _, w := range warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: warning: %s\n", g.env.File, w)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (%d streams, %d triggers, %d functions)\n",
				g.env.File, len(m.Streams), len(m.Triggers), len(m.Functions))
			return err
		},
	}
}
