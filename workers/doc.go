// Package workers is the consume loop of one replica of a function
// (Worker). The scaler is workers/scale, the runtimes that start and stop
// replicas workers/process, workers/docker and workers/kube, and the
// environment a replica is started with workers/workerenv.
//
// # Configuration
//
// A Worker takes its own Config (the function's consume settings, with
// their defaults and rules: WithDefaults, Validate) and what it needs from
// the broker as role interfaces (Broker: Consumers, Publisher,
// DeadLetterer), never the mesh file: internal/app/meshmap maps a mesh onto
// a Config, and the mesh loader reports a broken rule of Validate or
// CompileFilters at its line in the file.
//
// # The consume loop
//
// Every function has one durable pull consumer on its stream, named after
// the function (ConsumerName) and shared by all its replicas: the consumer
// is the function's queue group, each event goes to one replica at a time.
// ConsumerConfig derives it from the Config; the server filters by
// subject (FilterSubjects, from the type filters) and the worker evaluates
// the full filters (CompileFilters) on each event.
//
// A replica handles at most the function's concurrency events at once. It
// holds one long-lived pull (jetstream Messages) that asks the server for
// at most concurrency messages ahead, renews its request every 5 s and
// expects the server's idle heartbeat every 2 s (two missed ones open a
// new pull); a handler slot is taken before each message is read from
// the pull, so at most concurrency messages wait in the client besides
// those being handled.
//
// # Ack contract
//
// For each message the worker decodes the event, applies the filters
// (events that do not match are acknowledged and counted as filtered) and
// calls the Handler with the function's timeout, sending a progress
// heartbeat every ackWait/2 while it runs so long work is not redelivered.
// Then:
//
//   - nil: the returned events are published (each gets causationid and
//     correlationid), and only when all are stored is the input
//     acknowledged. A failed publish counts as a handler error. The ack is
//     not confirmed by a round trip: a lost ack means a redelivery after
//     the ack wait, which at-least-once allows, and confirming every ack
//     cut throughput by a third.
//   - retryable error, attempt n <= delivery.retry: NAK with delay
//     backoff(n) (exponential delay*2^(n-1) or linear delay*n, capped at
//     backoffMax; an error with RetryAfter() sets the delay, still capped;
//     no jitter). The attempt is the server's delivery count.
//   - retryable error at the last attempt, or a permanent error: the
//     original event (unchanged, plus the deadletter* extensions of
//     package broker) is handed to the DeadLetterer (in fnmesh it is stored
//     on "<deadLetter.subjectPrefix>.<fn>") and only after the broker
//     confirmed it is the delivery terminated. If that
//     publish fails the event is NAKed with delay and tried again later.
//     With delivery.deadLetter false the delivery is terminated and logged.
//   - a message that is not a valid CloudEvent is dead-lettered at once, as
//     it is (headers and payload).
//
// The consumer's MaxDeliver is unlimited; the worker counts attempts
// itself, so the server never drops an event silently. Deliveries past the
// last attempt (the earlier ones ended without a result) still call the
// handler twice more, and any failure dead-letters at once; after that the
// event is dead-lettered without calling the handler, so an event that
// crashes every replica that takes it cannot loop forever.
//
// # What a kill -9 does at each step
//
// Delivery is at least once; a crash never loses an event, it may repeat
// work:
//
//   - before or while the handler runs: no ack reached the server, so the
//     event is redelivered after ackWait (the heartbeats stop with the
//     process) with the attempt count raised by one;
//   - after some returned events were published, before the ack: the event
//     is redelivered and handled again. Returned events without an id get a
//     name-based id derived from the input, so a handler that returns the
//     same events again has them de-duplicated by the broker within the
//     stream's duplicate window; events that carry their own fresh ids are
//     published twice;
//   - after the ack was written, before it reached the server: the server
//     either recorded it (done) or redelivers the event after the ack wait
//     (handled twice);
//   - after a NAK: the event comes back after its backoff, as planned;
//   - after the dead letter was stored, before the Term: the event is
//     redelivered after ackWait and dead-lettered again with the same
//     de-duplication id (function, stream and stream sequence), so the
//     dead-letter stream keeps one copy when this happens within its
//     duplicate window (2 minutes) and a duplicate after that;
//   - during Redrive, after the publish and before the delete: the event is
//     back in its stream and still in the dead-letter stream; a second
//     Redrive sends it again.
//
// # Drain
//
// When Run's context ends the worker drains its pull: it asks for no more,
// and the messages already requested are still handled, each as a slot
// frees. Events in hand
// get up to Config.ShutdownTimeout to finish; after that their handlers'
// contexts are cancelled and the events are NAKed for immediate redelivery
// to another replica. Run then returns nil; the exit code is the caller's.
//
// # Redrive
//
// broker.Client.Redrive sends dead letters back to their subject with the
// redrivefunction extension naming the function that gave up. A worker
// acknowledges, without calling its handler, every event whose
// redrivefunction names another function, so a redrive is seen only by the
// function that failed, not by every function subscribed to the type. The
// extension is removed from events a handler returns.
//
// # Flow control
//
// Three settings change the loop, each only when set (the loop above is
// unchanged without them): Config.RateLimit takes a token of a global
// budget kept in a JetStream KV key (compare-and-set) before each fetch
// (see RateLimit); Config.Ordering pins the consumer to one replica
// (priority group, pinned policy) and queues events per key (see
// Ordering); Config.Batch collects up to MaxEvents events per slot for a
// BatchHandler, each with its own heartbeats and settlement (see Batch).
// RateLimit combines with Batch (a batch of n events takes n tokens, each
// before its event is fetched) and with Ordering (a key's runner takes a
// token before each start and in-place retry, the event's heartbeats
// running meanwhile); Ordering combines with Batch (a batch holds at most
// one event per key, retries are made in place), and the three combine.
package workers
