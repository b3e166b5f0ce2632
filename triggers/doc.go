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
//	pub, _ := broker.New(nc, "events")
//	http.Handle("/events", triggers.NewIngest(pub, triggers.IngestConfig{}))
//
// Every answer other than 202 is JSON: {"error": ..., "attribute": ...,
// "rule": ..., "index": ...}, the last three when they apply. Bad input is
// always a 4xx; 503 (with Retry-After) means the broker could not be
// reached and the request can be retried as is, since storing an event is
// idempotent by (source, id).
package triggers
