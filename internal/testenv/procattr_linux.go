//go:build linux

package testenv

import "syscall"

// sysProcAttr puts the server in its own process group and has the kernel
// kill it if the test binary dies without running its cleanups.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// xattrSupported reports whether dir's file system takes user.* extended
// attributes (versitygw's posix backend keeps object metadata in them).
func xattrSupported(dir string) bool {
	err := syscall.Setxattr(dir, "user.igexport.probe", []byte("1"), 0)
	if err != nil {
		return false
	}
	_ = syscall.Removexattr(dir, "user.igexport.probe")
	return true
}
