// Package runtimetest is the conformance suite of scale.Runtime. Every
// runtime (local processes, Docker containers, Kubernetes pods) runs the
// same tests with Run, so they behave alike where the scaler relies on
// them: start, scale up, drain on scale down (newest first), list and
// stop. A runtime's tests supply a Harness that tells the suite how to see
// a replica become ready and drain.
//
// The suite's worker, testdata/drainer, marks files when it is ready and
// when it drained; BuildDrainer compiles it for the runtimes that run real
// programs.
package runtimetest
