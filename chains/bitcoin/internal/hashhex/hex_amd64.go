//go:build amd64 && !purego

package hashhex

import "golang.org/x/sys/cpu"

var useSSSE3 = cpu.X86.HasSSSE3

//go:noescape
func put(dst *[64]byte, h *[32]byte)
