//go:build unix && !linux

package testenv

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// xattrSupported assumes the file systems of the BSDs and macOS take xattrs.
func xattrSupported(string) bool { return true }
