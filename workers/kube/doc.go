// Package kube runs function replicas as a Kubernetes Deployment per
// function (fnmesh-<function>): Runtime implements scale.Runtime with
// client-go, scaling spec.replicas and deleting pods with a grace period
// above the worker's drain timeout. The names and labels it uses are the
// ones deploy/k8s renders.
//
// It lives apart from package workers so that function binaries, which
// link workers through the SDK, do not carry the Kubernetes client.
package kube
