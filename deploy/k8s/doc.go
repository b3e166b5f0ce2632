// Package k8s renders the Kubernetes manifests of a mesh's functions.
//
// For every function Render writes:
//
//   - a Deployment "fnmesh-<function>" (kube.DeploymentName) whose
//     pods run the function's worker: run.image as it is, or the fnmesh
//     image running `fnmesh worker --function <name>` for run.http and
//     run.exec functions. The pods read the mesh file from a ConfigMap
//     mounted at /etc/fnmesh/mesh.yaml, reach NATS at NATS_URL and serve
//     /livez and /readyz on :8081, which the probes use;
//   - a Service of the same name exposing that health port;
//   - with KEDA, a keda.sh/v1alpha1 ScaledObject with a nats-jetstream
//     trigger on the function's durable consumer, carrying the mesh file's
//     scaling settings (minReplicaCount, maxReplicaCount, lagThreshold,
//     activationLagThreshold, cooldownPeriod, pollingInterval).
//
// and once a ConfigMap holding the mesh file.
//
// Shutdown: a pod that is deleted gets SIGTERM, stops pulling and drains the
// events in hand within FNMESH_SHUTDOWN_TIMEOUT, which is set to the
// function's timeout plus 5s (a handler may run that long).
// terminationGracePeriodSeconds is the timeout plus 15s, so the kubelet
// only kills a worker that overran its drain; an event a killed worker held
// is redelivered after the function's ackWait.
//
// Replicas: without KEDA the Deployment starts at minReplicaCount and the
// fnmesh scaler (kube.Runtime) sets spec.replicas. With KEDA,
// spec.replicas is left out so that applying the manifests again does not
// reset the count KEDA chose.
//
// run.command functions are local programs and cannot be rendered: build
// them into an image and set run.image.
package k8s
