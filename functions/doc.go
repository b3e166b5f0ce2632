// Package functions is the SDK for writing fnmesh functions.
//
// A function is a Handler: it receives one CloudEvent and returns the events
// it emits in answer (possibly none) or an error. The error decides what
// happens to the input event:
//
//   - nil: the event is acknowledged and the returned events are published
//     (each carrying causationid and correlationid extensions).
//   - a plain error: the event is retried with backoff, up to the function's
//     delivery.retry, then dead-lettered.
//   - Permanent(err): the event is dead-lettered at once, without retries.
//   - RetryAfter(err, d): the event is retried after d (capped by the
//     function's delivery.backoffMax).
//
// Serve runs a Handler as a worker replica of one function of the mesh file:
// it connects to NATS, joins the function's durable consumer (shared by all
// replicas, so each event is handled by one of them) and drains on
// cancellation. ServeMain wraps it for a program's main function.
//
// Functions that are not written in Go plug in through adapters:
// NewHTTPAdapter delivers each event to an HTTP endpoint in CloudEvents
// binary mode, NewExecAdapter runs a program per event with the event JSON
// on stdin.
//
// Middleware wraps a Handler the way net/http middleware wraps an
// http.Handler; Recover and Logging are provided. Per-event deadlines are set
// by the worker from the function's timeout, so there is no timeout
// middleware.
package functions
