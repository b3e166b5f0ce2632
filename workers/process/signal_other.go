//go:build !unix

package process

import (
	"os/exec"
	"syscall"
)

// procAttr has nothing to set where process groups do not exist.
func procAttr() *syscall.SysProcAttr { return nil }

// terminateGroup ends the process; without signals there is no drain.
func terminateGroup(cmd *exec.Cmd) { killGroup(cmd) }

// killGroup kills the process.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
