//go:build unix

package process

import (
	"os/exec"
	"syscall"
)

// terminateGroup asks the process group of cmd to drain and exit.
func terminateGroup(cmd *exec.Cmd) { signalGroup(cmd, syscall.SIGTERM) }

// killGroup kills the process group of cmd.
func killGroup(cmd *exec.Cmd) { signalGroup(cmd, syscall.SIGKILL) }

func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd.Process == nil || cmd.Process.Pid <= 0 {
		return
	}
	// The child leads its own group (Setpgid), so its pgid is its pid.
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
