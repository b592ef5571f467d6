//go:build unix

package testenv

import (
	"os/exec"
	"syscall"
)

// terminate sends SIGTERM to the process group (the servers are started as
// group leaders, so a wrapper script's children go too).
func terminate(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }

// kill sends SIGKILL to the process group.
func kill(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
