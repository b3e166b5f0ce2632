//go:build !unix

package functions

import "os/exec"

// setProcessGroup is a no-op where process groups do not exist; the
// context's cancellation kills the program only.
func setProcessGroup(*exec.Cmd) {}

// killGroup is a no-op where process groups do not exist.
func killGroup(*exec.Cmd) error { return nil }
