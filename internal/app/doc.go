// Package app is the assembly of `fnmesh up`: it maps a validated mesh
// file onto the components (through package meshmap), starts them in
// order, serves the operational endpoints and stops everything in reverse
// order on shutdown.
//
// The order of a start:
//
//  1. the broker: the embedded NATS server, or a connection to NATS_URL;
//     a node of an embedded cluster waits (Config.ClusterWait) for a
//     JetStream meta leader that knows enough servers for its streams;
//  2. the streams the mesh declares, and its dead-letter stream (on an
//     embedded cluster of three or more nodes, three copies unless the
//     file says otherwise), and the node registry of a cluster;
//  3. the triggers (ingest, routes, webhooks, cron) with the key-value
//     buckets and reply waiter they need;
//  4. a runtime and a scaler per kind of function runtime (local
//     processes, Docker containers); nothing runs until the scalers poll;
//  5. the HTTP listener, the cron triggers and the scalers.
//
// A stop: the HTTP server shuts down (in-flight requests finish), the
// crons and scalers stop, the scalers drain their replicas, the runtimes
// close, then the connection drains and the embedded server shuts down.
//
// cmd/fnmesh only parses flags and the environment into a Config and calls
// Run; everything `up` does lives here.
package app
