// Package meshaddr records where a running `fnmesh up` listens, in a small
// JSON file in its data directory, so that the other commands (publish,
// status, dlq, apply, validate) find the mesh without flags.
//
// The file is written atomically (a temporary file renamed over it) once
// the listeners are bound, removed on a clean stop, and ignored when the
// process it names is gone (after a kill -9).
package meshaddr
