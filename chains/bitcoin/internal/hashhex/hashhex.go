// Package hashhex writes a hash in display hex: its bytes reversed, two
// lower-case digits each, as chainhash.Hash.String shows it. A block of
// Bitcoin transactions needs this for every txid and every outpoint it
// spends, thousands of times per block, so amd64 does it with SSSE3
// shuffles (hex_amd64.s); elsewhere a table of digit pairs does.
package hashhex

import "encoding/binary"

// Put writes h in display hex into dst.
func Put(dst *[64]byte, h *[32]byte) {
	if useSSSE3 {
		put(dst, h)
		return
	}
	putGeneric(dst, h)
}

const digits = "0123456789abcdef"

// pairs[b] is b's two hex digits as a little-endian uint16.
var pairs = func() (t [256]uint16) {
	for b := range t {
		t[b] = uint16(digits[b>>4]) | uint16(digits[b&15])<<8
	}
	return t
}()

func putGeneric(dst *[64]byte, h *[32]byte) {
	for i := 0; i < 32; i += 4 {
		v := uint64(pairs[h[31-i]]) | uint64(pairs[h[30-i]])<<16 |
			uint64(pairs[h[29-i]])<<32 | uint64(pairs[h[28-i]])<<48
		binary.LittleEndian.PutUint64(dst[2*i:], v)
	}
}
