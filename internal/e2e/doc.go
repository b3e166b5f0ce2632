// Package e2e holds the end-to-end tests of fnmesh's observability: one
// event followed from the HTTP endpoint through the broker and two chained
// functions, as one trace; the counters a known workload leaves on
// /metrics; trace ids on the log lines of a handler; and the cost of
// tracing on the pipeline (BenchmarkPipelineTracing). Every test runs a
// real embedded NATS server, real workers and real HTTP servers on
// loopback. The package has no API.
package e2e
