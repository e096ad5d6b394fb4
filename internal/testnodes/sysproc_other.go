//go:build !linux

package testnodes

import "os/exec"

// dieWithParent is a no-op where the kernel has no parent-death signal;
// tb.Cleanup still stops the node.
func dieWithParent(cmd *exec.Cmd) {}
