//go:build linux

package functions

import "syscall"

// execProcAttr puts an exec program in its own process group and has the
// kernel kill it (SIGKILL) when the worker that started it dies, even by
// kill -9: a program that outlived its worker would finish an event the
// broker then delivers again. The signal reaches the program itself; what
// it started in its group dies when the worker's killGroup runs, or with
// its parent if it asked for that too.
func execProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
