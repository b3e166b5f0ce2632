//go:build linux

package process

import "syscall"

// procAttr puts a worker in its own process group and has the kernel send
// it SIGTERM (a drain) when fnmesh dies without stopping it.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
