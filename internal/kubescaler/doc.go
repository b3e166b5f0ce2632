// Package kubescaler runs fnmesh's scaler inside a Kubernetes cluster.
//
// It sizes each function's Deployment (fnmesh-<function>, as `fnmesh deploy
// render` writes it) by the backlog of the function's durable consumer,
// with the decisions of the local scaler (workers.Scaler and
// workers.Decide) applied through the Kubernetes runtime (workers/kube).
//
// Several scaler pods may run; a coordination.k8s.io Lease elects one, and
// only that one polls and scales, so two scalers never fight over a
// replica count. The others wait, retrying the Lease every RetryPeriod;
// when the leader stops (SIGTERM releases the Lease) or loses the Lease, a
// waiting one takes over with fresh cooldown state. A leader that cannot
// renew stops scaling within RenewDeadline, before the Lease can expire
// and another pod can take it (LeaseDuration > RenewDeadline).
package kubescaler
