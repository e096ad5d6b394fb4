//go:build !amd64 || purego

package hashhex

var useSSSE3 = false

func put(dst *[64]byte, h *[32]byte) { putGeneric(dst, h) }
