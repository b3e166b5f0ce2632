// Command peers runs one pipeline workload through three ways of consuming
// NATS JetStream in Go, in one process and on one broker, and prints events
// per second, latency percentiles and ratios:
//
//   - nats.go: js.Publish waiting for the PubAck, then a durable pull
//     consumer read with Consume, each message acknowledged with Ack;
//   - Watermill v1.5.1 with watermill-nats/v2 v2.1.3 (package nats, in
//     JetStream mode): a publisher with message ids (TrackMsgId), a durable
//     queue-group subscriber with one subscription per unit of concurrency
//     and a message.Router handler; the ack (AckSync) follows the handler;
//   - fnmesh: broker.Client.Publish (CloudEvents, dedup id, PubAck), then
//     a worker of package workers (a plain ack after the handler).
//
// Each system gets its own file-backed stream. A run has two phases per
// system: throughput (publish -count events with -concurrency publishers,
// then consume them all with -concurrency events in flight) and latency
// (publish at -rate events/s for -duration to a running consumer and time
// each event from the publish call to the handler).
//
// Usage (from this directory): go run . [-count 50000] [-size 256]
// [-concurrency 32] [-rate 2000] [-duration 3s] [-nats-url URL] [-json]
package main
