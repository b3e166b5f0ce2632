// Package kube runs function replicas as a Kubernetes Deployment per
// function (fnmesh-<function>): Runtime implements scale.Runtime through
// API, scaling spec.replicas and deleting pods with a grace period above
// the worker's drain timeout. The names and labels it uses are the ones
// deploy/k8s renders.
//
// NewREST is the API of a real cluster: client-go's rest package with a
// scheme of only the kinds fnmesh uses, not client-go's typed clientset,
// whose scheme registers every Kubernetes API group (about 8 MB of the
// binary). Package kubetest adapts a clientset (the fake one in tests).
//
// It lives apart from package workers so that function binaries, which
// link workers through the SDK, do not carry the Kubernetes client.
package kube
