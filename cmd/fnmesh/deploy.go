package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/deploy/k8s"
)

func newDeployCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "deploy", Short: "Deployment artefacts for the mesh's functions"}
	cmd.AddCommand(newDeployRenderCmd(g))
	return cmd
}

func newDeployRenderCmd(g *globals) *cobra.Command {
	var o k8s.RenderOptions
	var out string
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Write the Kubernetes manifests of the functions (Deployment, Service, mesh ConfigMap, KEDA ScaledObject)",
		Long: `Write the Kubernetes manifests of the mesh's functions: a ConfigMap holding
the mesh file, and per function a Deployment, a Service for its health port
and, with --keda, a KEDA ScaledObject that scales it by its consumer's lag.

With -o - (the default) the manifests go to stdout as one YAML stream;
otherwise -o names a directory that gets one file per object:

  fnmesh deploy render -f mesh.yaml --namespace shop --keda -o manifests/
  kubectl apply -f manifests/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := loadMesh(g.env.File)
			if err != nil {
				return err
			}
			objs, err := k8s.Render(m, o)
			if err != nil {
				return err
			}
			if out == "-" {
				b, err := k8s.Marshal(objs)
				if err != nil {
					return err
				}
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			if err := k8s.WriteDir(out, objs); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d manifests to %s\n", len(objs), out)
			return err
		},
	}
	f := cmd.Flags()
	// -o names the destination here; it shadows the global text/json flag.
	f.StringVarP(&out, "output", "o", "-", `where to write: "-" for stdout or a directory`)
	f.StringVar(&o.Namespace, "namespace", k8s.DefaultNamespace, "namespace of every object")
	f.StringVar(&o.Image, "image", k8s.DefaultImage, "fnmesh image that runs run.http and run.exec functions")
	f.StringVar(&o.NATSURL, "nats-url", k8s.DefaultNATSURL, "NATS_URL of the workers, as seen from the cluster")
	f.StringVar(&o.NATSMonitoringEndpoint, "nats-monitoring", "", "host:port of the NATS monitoring endpoint KEDA reads (default: the NATS host, port 8222)")
	f.StringVar(&o.ConfigMapName, "configmap", k8s.DefaultConfigMapName, "name of the ConfigMap holding the mesh file")
	f.BoolVar(&o.KEDA, "keda", false, "add a KEDA ScaledObject per function and leave the replica count to it")
	return cmd
}
