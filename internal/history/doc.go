// Package history keeps the run history of a mesh: one Record per delivery
// attempt of an event to a function, in a bounded JetStream stream
// (FNMESH_RUNS by default, on "<subjectPrefix>.s<shard>.<function>").
//
// A Recorder keeps records in a bounded buffer and publishes them in
// batches (JSON lines, one message per function and shard every 100ms or
// 256 records: a header line of what the records share, then each
// record without it) asynchronously, with a bounded window of unacknowledged
// publishes: when the buffer or the window is full, records are dropped
// and counted (Recorder.Stats) rather than slowing the handler down. The
// history is a view of what happened, not a guarantee: the events
// themselves are in their streams and their dead letters in the
// dead-letter stream whatever the history holds. Hook installs a Recorder
// as a workers.Hooks.Deliver hook, so the consume loop is unchanged.
//
// A Reader answers queries over the stream: runs of a function, of an
// outcome, in a time range, of one event.
//
// A Counter reads every record stored from a start time on and tells a
// RunObserver (telemetry.Metrics) of each: `up` counts the attempts of
// every replica that way, so the metrics of a function outlive replicas
// that scaled to zero.
package history
