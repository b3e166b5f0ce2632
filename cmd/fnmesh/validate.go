package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers"
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
			notes := brokerNotes(cmd.Context(), g, m)
			if g.output == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{
					"file": g.env.File, "valid": true, "warnings": append([]string{}, warnings...),
					"notes":   append([]string{}, notes...),
					"streams": len(m.Streams), "triggers": len(m.Triggers), "functions": len(m.Functions),
				})
			}
			for _, w := range warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: warning: %s\n", g.env.File, w)
			}
			for _, n := range notes {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: note: %s\n", g.env.File, n)
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

// brokerTimeout bounds how long validate looks at the broker.
const brokerTimeout = 2 * time.Second

// brokerNotes compares the functions of m with their consumers on the
// broker, when one can be seen (a running mesh found, or NATS_URL set):
// a changed startFrom of an existing function is noted. Offline, nothing.
func brokerNotes(ctx context.Context, g *globals, m *config.Mesh) []string {
	if _, set := os.LookupEnv(envNATSURL); !set && !g.found {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, brokerTimeout)
	defer cancel()
	nc, err := broker.Connect(ctx, g.conn, "fnmesh-validate")
	if err != nil {
		return nil
	}
	defer nc.Close()
	c, err := broker.New(nc, meshmap.Broker(m))
	if err != nil {
		return nil
	}
	var notes []string
	for i := range m.Functions {
		fn := &m.Functions[i]
		s := m.StreamFor(fn)
		if s == nil {
			continue
		}
		cc := workers.ConsumerConfig(meshmap.Worker(m, fn).WithDefaults())
		if n := app.StartFromChanged(ctx, c, s.Name, fn.Name, cc); n != "" {
			notes = append(notes, n)
		}
	}
	return notes
}
