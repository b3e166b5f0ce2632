// Package embedded runs a NATS server with JetStream inside the fnmesh
// process: the broker of `fnmesh up` on one machine, and of the tests
// (see broker/brokertest). It is kept apart from package broker so that a
// program that only connects to NATS (a function built on the SDK) does
// not build against nats-server.
package embedded
