// Package app maps a validated mesh file onto the components that run it.
//
// Apply declares on NATS everything the mesh needs before any process reads
// it: the streams, the dead-letter stream, the key-value buckets of the
// triggers and every function's durable consumer. `fnmesh apply` calls it
// and nothing else; `fnmesh up` calls it at start.
package app
