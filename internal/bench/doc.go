// Package bench measures fnmesh against a baseline written directly on
// nats.go, in the same process and on the same broker, and reports both
// with their ratio. It is what `fnmesh bench <scenario>` runs.
//
// # Scenarios
//
//   - ingest: binary-mode CloudEvents POSTed over loopback HTTP by
//     Concurrency clients to the ingest handler of package triggers,
//     against a net/http handler that only reads the body and publishes it
//     (waiting for the PubAck). Requests per second and request latency.
//   - pipeline: Count events of Size bytes are published (Concurrency
//     publishers, each waiting for its PubAck), then consumed by Replicas
//     fnmesh workers with a no-op handler, against the same number of
//     durable pull consumers of nats.go (Consume and Ack). Consumed events
//     per second; the percentiles are those of the publish round trip.
//   - latency: events published at a fixed Rate for Duration with
//     consumers already running; the time from the publish call to the
//     handler, for fnmesh and for a raw consumer.
//   - scale: a function with minReplicaCount 0 run by the process runtime
//     of package workers/process (measureScale): cold start, reaction to a
//     burst, and the time to drain it with the scaler at work against one
//     fixed replica. Its replicas are the program given as WorkerCommand,
//     which must call ServeWorker.
//
// Each scenario runs its baseline right before (ingest: interleaved with)
// the fnmesh run, on the same embedded broker (or on an external NATS
// server, with streams of their own that are deleted afterwards).
//
// The results are a Result: a JSON document for machines and a table
// (WriteText) for people. They are figures for comparison on one machine,
// not guarantees; run them twice before drawing conclusions.
package bench
