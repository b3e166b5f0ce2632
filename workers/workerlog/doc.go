// Package workerlog forwards the output of a worker (a local process or a
// container) to a logger, one record per line: lines the worker wrote with
// slog (JSON or text) keep their level, message and attributes, other
// lines are logged at info as they are, and every line is bounded
// (MaxLine). The process and Docker runtimes use it, so `fnmesh up` shows
// what its workers print with their function and replica.
package workerlog
