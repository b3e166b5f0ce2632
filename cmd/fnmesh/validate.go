package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/internal/config"
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
				if g.output == "json" {
					return printInvalid(cmd, g.env.File, err)
				}
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

// fieldErrorJSON is one problem of `validate -o json`.
type fieldErrorJSON struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// printInvalid writes the problems of an invalid mesh file as JSON and
// returns the error that makes the exit status 1.
func printInvalid(cmd *cobra.Command, file string, err error) error {
	fes := config.FieldErrors(err)
	out := make([]fieldErrorJSON, 0, len(fes)+1)
	for _, fe := range fes {
		out = append(out, fieldErrorJSON{File: fe.File, Line: fe.Line, Column: fe.Column, Field: fe.Path, Message: fe.Rule})
	}
	if len(out) == 0 { // not about the content: the file is missing, unreadable
		out = append(out, fieldErrorJSON{File: file, Message: err.Error()})
	}
	if jerr := json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"file": file, "valid": false, "errors": out}); jerr != nil {
		return jerr
	}
	return fmt.Errorf("%s: invalid (%d problems)", file, len(out))
}
