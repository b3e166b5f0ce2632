//go:build noderender

package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// errNoRender is the answer of `fnmesh deploy render` in a build with the
// noderender tag: the image's build, which leaves the manifest renderer
// and the k8s.io/api types it links (about 7 MB) out.
var errNoRender = errors.New("deploy render: this fnmesh is built without the manifest renderer (-tags noderender, as the fnmesh image is); run `fnmesh deploy render` from a full build (go install ./cmd/fnmesh)")

func newDeployCmd(*globals) *cobra.Command {
	cmd := &cobra.Command{Use: "deploy", Short: "Deployment artefacts for the mesh (not in this build)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "render",
		Short: "Write the Kubernetes manifests of the mesh (not in this build: -tags noderender)",
		RunE:  func(*cobra.Command, []string) error { return errNoRender },
	})
	return cmd
}
