//go:build !linux

package demo

import "os/exec"

// dieWithParent is a no-op where the kernel has no parent-death signal;
// Run still stops the node when it returns.
func dieWithParent(cmd *exec.Cmd) {}
