package sinks

import (
	"errors"
	"os"
	"strings"
	"syscall"
)

// processScope is the boot id and PID namespace of this process: two
// processes with the same scope see the same PIDs.
func processScope() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(boot)) + "/" + ns
}

// processAlive reports whether a process with that PID exists (a zombie
// does too: its parent has not reaped it yet).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
