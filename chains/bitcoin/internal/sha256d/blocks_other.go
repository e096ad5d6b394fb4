//go:build !amd64 || purego

package sha256d

var useSHANI = false

func blocks2(a, b *[8]uint32, pa, pb *byte, n int) { panic("sha256d: no two-way routine here") }
