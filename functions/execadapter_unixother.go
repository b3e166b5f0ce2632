//go:build unix && !linux

package functions

import "syscall"

// execProcAttr puts an exec program in its own process group. These
// systems have no parent-death signal: a program outlives a worker killed
// with SIGKILL (a worker that exits otherwise kills its group first).
func execProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
