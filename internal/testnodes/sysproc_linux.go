package testnodes

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill cmd's process if the test binary
// dies first (a panic on -timeout, a SIGKILL), so no node outlives its test.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
