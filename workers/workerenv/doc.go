// Package workerenv is the environment contract between fnmesh and a worker
// process: the variables a runtime (local process, Docker container,
// Kubernetes pod) sets for each replica and the SDK reads (functions.Serve).
// The names are defined here once; Read parses them, Vars writes them and
// Compose layers them over the other variables a worker gets.
//
// It depends on the standard library only, so function binaries and every
// runtime can use it.
package workerenv
