//go:build linux

package main

import "syscall"

// procAttr has the kernel kill a child (igfake, igexport) if igbench dies.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
