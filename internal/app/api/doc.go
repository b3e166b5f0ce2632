// Package api is the JSON API of `fnmesh up` under /api/v1/: functions
// with their scaling state and recent run figures, the run history, one
// event with every run of it, and the dead letters (list with payload,
// redrive, purge, each with a dry run). docs/API.md documents the shapes.
//
// Bad input is answered 400 with {"error": ..., "field": ...} naming the
// query parameter or body field; an unknown event id 404. Durations are Go
// duration strings, times RFC 3339.
package api
