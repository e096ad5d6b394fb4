package demo

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill the node if the demo dies first (a
// SIGKILL, a crash), so no btcd outlives it.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
