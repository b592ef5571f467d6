//go:build linux

package e2e

import "syscall"

// procAttr has the kernel kill a child (igfake, igexport) if the test binary
// dies without running its cleanups (a timeout, a closed pipe).
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
