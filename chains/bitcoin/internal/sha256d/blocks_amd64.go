//go:build amd64 && !purego

package sha256d

//go:generate go run gen.go

// blocks2 runs the SHA-256 compression over n 64-byte blocks at pa into
// state a, and over n blocks at pb into state b.
//
//go:noescape
func blocks2(a, b *[8]uint32, pa, pb *byte, n int)

func cpuid(leaf, sub uint32) (a, b, c, d uint32)

// useSHANI: the SHA extensions (CPUID.7.0:EBX bit 29) with SSSE3 and
// SSE4.1 (CPUID.1:ECX bits 9 and 19), which the routine also uses.
var useSHANI = func() bool {
	if max, _, _, _ := cpuid(0, 0); max < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	_, b7, _, _ := cpuid(7, 0)
	return c1&(1<<9) != 0 && c1&(1<<19) != 0 && b7&(1<<29) != 0
}()
