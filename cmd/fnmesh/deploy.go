//go:build !noderender

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fnmesh/fnmesh/deploy/k8s"
)

func newDeployCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "deploy", Short: "Deployment artefacts for the mesh"}
	cmd.AddCommand(newDeployRenderCmd(g))
	return cmd
}

func newDeployRenderCmd(g *globals) *cobra.Command {
	var o k8s.RenderOptions
	var out string
	var keda bool
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Write the Kubernetes manifests of the mesh (triggers, scaler or KEDA, functions)",
		Long: `Write the Kubernetes manifests of the mesh: a ConfigMap holding the mesh
file; the triggers Deployment and Service (fnmesh up --no-functions, which
applies the streams, buckets and consumers at start); with --scaler fnmesh
(the default) the leader-elected fnmesh scaler with its ServiceAccount, Role
and RoleBinding, with --scaler keda a KEDA ScaledObject per function; and
per function a Deployment and a Service for its health port.

Every pod reads NATS from the Secret --nats-secret (key url, optional user,
password, token; creds, ca.crt, tls.crt and tls.key with the flags that
mount them). The triggers read their secretRefs from --triggers-secret.

Without --out-dir the manifests go to stdout as one YAML stream, or with
-o json as one JSON v1 List; --out-dir names a directory that gets one
YAML file per object:

  fnmesh deploy render -f mesh.yaml --namespace shop --out-dir manifests/
  kubectl apply -f manifests/

-o is the output format, as for every command.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keda {
				if cmd.Flags().Changed("scaler") && o.Scaler != k8s.ScalerKEDA {
					return fmt.Errorf("--keda and --scaler %s: choose one", o.Scaler)
				}
				o.Scaler = k8s.ScalerKEDA
			}
			m, err := loadMesh(g.env.File)
			if err != nil {
				return err
			}
			objs, err := k8s.Render(m, o)
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				marshal := k8s.Marshal
				if g.output == "json" {
					marshal = k8s.MarshalJSONList
				}
				b, err := marshal(objs)
				if err != nil {
					return err
				}
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			if g.output == "json" {
				return fmt.Errorf("--out-dir writes YAML files; -o json prints to stdout: choose one")
			}
			if err := k8s.WriteDir(out, objs); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d manifests to %s\n", len(objs), out)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out-dir", "", "write one YAML file per object to this directory instead of stdout")
	f.StringVar(&o.Namespace, "namespace", k8s.DefaultNamespace, "namespace of every object")
	f.StringVar(&o.Image, "image", k8s.DefaultImage, "fnmesh image: triggers, scaler and run.http workers")
	f.StringVar(&o.ConfigMapName, "configmap", k8s.DefaultConfigMapName, "name of the ConfigMap holding the mesh file")
	f.StringVar(&o.Scaler, "scaler", k8s.ScalerFnmesh, "what scales the functions: fnmesh (its own leader-elected scaler) or keda")
	f.BoolVar(&keda, "keda", false, "shorthand for --scaler keda")
	f.IntVar(&o.TriggersReplicas, "triggers-replicas", 1, "number of triggers pods")
	f.IntVar(&o.ScalerReplicas, "scaler-replicas", 2, "number of scaler pods (one leads)")
	f.StringVar(&o.NATSSecret, "nats-secret", k8s.DefaultNATSSecret, "Secret holding NATS_URL (key url) and the NATS credentials")
	f.BoolVar(&o.NATSCreds, "nats-creds", false, "mount key creds of the NATS Secret as NATS_CREDS")
	f.BoolVar(&o.NATSCA, "nats-ca", false, "mount key ca.crt of the NATS Secret as NATS_CA")
	f.BoolVar(&o.NATSClientCert, "nats-client-cert", false, "mount keys tls.crt and tls.key of the NATS Secret as NATS_CERT and NATS_KEY")
	f.StringVar(&o.TriggersSecret, "triggers-secret", k8s.DefaultTriggersSecret, "Secret holding the triggers' secretRefs (key = env name)")
	f.StringVar(&o.NATSMonitoringEndpoint, "nats-monitoring", k8s.DefaultNATSMonitoringEndpoint, "host:port of the NATS monitoring endpoint KEDA reads")
	f.StringVar(&o.KEDAAccount, "keda-account", k8s.DefaultKEDAAccount, "NATS account KEDA reads the consumers in")
	f.BoolVar(&o.KEDAUseHTTPS, "keda-https", false, "KEDA reads the monitoring endpoint over HTTPS")
	f.StringVar(&o.KEDAAuthSecret, "keda-auth-secret", "", "Secret whose key natsServerMonitoringEndpoint KEDA reads through a TriggerAuthentication")
	return cmd
}
