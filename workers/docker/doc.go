// Package docker runs function replicas as Docker containers from their
// images (never pulled), labelled with the mesh and the function so that
// containers of an earlier run are adopted, given the worker contract of
// workers/workerenv, restarted by the engine when they fail and drained on
// stop (the engine's SIGTERM, then a kill after the stop timeout).
//
// Runtime implements scale.Runtime. It lives apart from package workers so
// that function binaries, which link workers through the SDK, do not carry
// the Docker client.
package docker
