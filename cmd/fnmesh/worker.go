package main

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/functions"
)

func newWorkerCmd(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the generic worker for a function declared in the mesh file (run.http or run.exec)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				name = g.env.Function
			}
			if name == "" {
				return fmt.Errorf("--function (or FNMESH_FUNCTION) is required")
			}
			m, err := loadMesh(g.env.File)
			if err != nil {
				return err
			}
			fn, ok := m.Function(name)
			if !ok {
				return fmt.Errorf("%s: no function named %q", g.env.File, name)
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			var h functions.Handler
			switch {
			case fn.Run.HTTP != nil:
				h = functions.NewHTTPAdapter(fn.Run.HTTP.URL, &http.Client{})
			case len(fn.Run.Exec) > 0:
				h = functions.NewExecAdapter(fn.Run.Exec, m.Resolve(fn.Run.Dir), nil, functions.WithExecLogger(log))
			default:
				return fmt.Errorf("function %q: the generic worker runs run.http or run.exec functions; run.command and run.image are their own worker programs", name)
			}
			if fn.Batch == nil {
				// The middleware wraps single events; a batch function is
				// served by the adapter's own HandleBatch.
				h = functions.Chain(h, functions.Recover(), functions.Logging(log))
			}
			return functions.Serve(cmd.Context(), h,
				functions.WithMeshFile(g.env.File), functions.WithFunction(name), functions.WithLogger(log))
		},
	}
	cmd.Flags().StringVar(&name, "function", "", "function name (env FNMESH_FUNCTION)")
	return cmd
}
