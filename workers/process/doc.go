// Package process runs function replicas as local child processes, the
// runtime of `fnmesh up`: each replica in its own process group, given the
// worker contract of workers/workerenv, its output logged one record per
// line, restarted with exponential backoff when it crashes, and drained on
// stop (SIGTERM to the group, SIGKILL after the stop timeout). On Linux a
// replica also gets SIGTERM when fnmesh dies without stopping it.
//
// Runtime implements scale.Runtime.
package process
