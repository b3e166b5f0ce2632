// Package triggers turns the outside world into CloudEvents and stores them
// through the broker: the CloudEvents HTTP endpoint (POST /events), HTTP
// routes that map plain requests to events, cron schedules and verified
// provider webhooks.
//
// Ingest is the CloudEvents endpoint. It speaks the CloudEvents HTTP
// protocol binding 1.0 in binary, structured (JSON format) and batched
// (JSON batch format) mode, checks every event against the CloudEvents 1.0
// rules before anything is stored (ParseRequest), and answers 202 only
// after the broker acknowledged the event:
//
//	pub, _ := broker.New(nc, broker.Config{})
//	ingest, err := triggers.NewIngest(triggers.IngestConfig{}, pub)
//	http.Handle("/events", ingest)
//
// Every answer other than 202 is JSON: {"error": ..., "attribute": ...,
// "rule": ..., "index": ...}, the last three when they apply. Bad input is
// always a 4xx; 503 (with Retry-After) means the broker could not be
// reached and the request can be retried as is, since storing an event is
// idempotent by (source, id).
//
// Every trigger takes its own Config (IngestConfig, RouteConfig,
// HookConfig, CronConfig, and MuxConfig for all of them) holding plain
// values, secrets included, and the small interfaces it uses: an
// EventPublisher, a KeyValue for cron state and webhook ids, Replies for
// reply routes, a DataValidator. Constructors apply the defaults, then the
// options (WithLogger, WithClock, ...), then the Config's Validate, so a
// trigger that is built can serve. The mesh file is mapped onto these
// configs elsewhere (internal/app/meshmap); this package does not know it.
// The rules the mesh file's validation shares live in leaf packages it can
// use: endpoint (paths, methods), schedule (cron schedules, zones, missed
// runs) and webhook (signature schemes).
//
// The triggers (NewMux mounts them all):
//
//   - Route maps plain HTTP requests on a path to events of a configured
//     type: the body is the data, an Idempotency-Key header becomes the
//     event id (so client retries store one event), selected headers and
//     query parameters become extensions. In reply mode the request waits
//     for the event a function returns (matched by its causationid) and
//     answers with it, 502 as soon as a function dead-letters the event,
//     or 504 when no answer came in time.
//   - Cron emits an event per tick of a cron schedule in an IANA zone. The
//     event id is the trigger name plus the scheduled instant, so several
//     processes running the same trigger store one event per tick; missed
//     ticks are skipped or caught up (bounded) from the state in a KV bucket.
//   - Hook verifies a provider webhook (package webhook) on the raw body
//     and publishes it with the provider's delivery id as event id,
//     de-duplicating redeliveries through a KV bucket. A failed check
//     answers 401 and publishes nothing; the reason goes to the log only.
package triggers
