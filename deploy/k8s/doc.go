// Package k8s renders the Kubernetes manifests of a mesh.
//
// Render writes, in this order:
//
//   - a ConfigMap holding the mesh file, mounted at /etc/fnmesh/mesh.yaml in
//     every pod; the pod templates carry its SHA-256, so changing the mesh
//     rolls them;
//   - the triggers: a Deployment "fnmesh-triggers" running `fnmesh up
//     --no-functions` against the cluster's NATS, and its Service (port 80).
//     At start it applies the streams, key-value buckets and every
//     function's durable consumer (app.Apply) before it serves, so a
//     consumer exists before KEDA or the scaler reads it. Its secretRefs
//     come from the triggers Secret: {env: NAME} as secretKeyRef of key
//     NAME, {file: PATH} projected beside the mesh file; an inline value is
//     refused;
//   - with ScalerFnmesh, `fnmesh scaler` (Deployment "fnmesh-scaler", two
//     pods, one elected through a Lease) with its ServiceAccount, and a Role
//     and RoleBinding allowing exactly what it calls: patch the functions'
//     Deployments by name, list pods, create the Lease and get and update
//     it by name;
//   - with ScalerKEDA, a keda.sh/v1alpha1 ScaledObject per function with a
//     nats-jetstream trigger on its durable consumer and the mesh file's
//     scaling settings, with the account, useHttps and (through a
//     TriggerAuthentication) the monitoring endpoint settable;
//   - per function, a Deployment "fnmesh-<function>" (kube.DeploymentName)
//     and a Service for its health port (:8081, /livez and /readyz, which
//     the probes use). The pods run run.image; or kubernetes.image for
//     run.command (the image's entrypoint) and run.exec (`fnmesh worker`,
//     in an image built FROM the fnmesh image that holds the program and
//     its interpreter); or the fnmesh image as `fnmesh worker` for
//     run.http. A run.command or run.exec function without kubernetes.image
//     is refused: its program is a local file.
//
// Every pod reads NATS from the NATS Secret (NATS_URL from key "url", the
// credentials as secretKeyRef or mounted files), never inline, and meets
// the "restricted" Pod Security Standard: runAsNonRoot, a read-only root
// file system with an emptyDir at /tmp, no privilege escalation, all
// capabilities dropped, seccomp RuntimeDefault. Only the scaler mounts a
// service account token.
//
// Shutdown: a worker pod that is deleted gets SIGTERM, stops pulling and
// drains the events in hand within FNMESH_SHUTDOWN_TIMEOUT, the function's
// timeout plus 5s. terminationGracePeriodSeconds is the timeout plus 15s,
// so the kubelet only kills a worker that overran its drain; an event a
// killed worker held is redelivered after the function's ackWait.
//
// Replicas: with the fnmesh scaler the Deployment starts at
// minReplicaCount and the scaler sets spec.replicas. With KEDA,
// spec.replicas is left out so that applying the manifests again does not
// reset the count KEDA chose.
package k8s
