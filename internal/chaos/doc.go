// Package chaos runs three `fnmesh up` processes as an embedded NATS
// cluster on loopback and breaks it while events flow: kill -9 of a
// stream leader and its restart, a rolling restart of every node, and
// two nodes down at once. It reports what happened to every event (sent,
// answered 2xx, processed, duplicated, dead-lettered, lost) and how long
// clients saw 503 and functions stood still.
//
// The suite is slow and skipped unless FNMESH_CHAOS=1 (and always under
// -short); .ci/run runs it on purpose with its own -timeout.
package chaos
