// Package scale sizes the replicas of functions by their backlog: the
// Scaler polls each function's durable consumer (a BacklogSource; the
// BrokerBacklog reads the JetStream API, never a monitoring endpoint),
// decides with Decide (desired = ceil(backlog / lagThreshold) within
// [min, max], an activation threshold from zero, a cooldown before scaling
// down) and applies the count through a Runtime.
//
// Runtime is the interface the runtimes implement: workers/process (local
// processes), workers/docker (containers) and workers/kube (a Kubernetes
// Deployment). A Workload says how one function's replicas run; every
// runtime passes the conformance suite of workers/scale/runtimetest.
//
// The Scaler and the BrokerBacklog take their own configuration (Config,
// Params, workers.Config); internal/app/meshmap maps a mesh file onto it.
package scale
