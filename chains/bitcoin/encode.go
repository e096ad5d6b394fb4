package bitcoin

import (
	"crypto/sha256"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/chainhound/chainhound/chains/bitcoin/internal/hashhex"
)

// Address encoders for the hot path of block extraction: they produce
// exactly what address/v2 produces (the tests compare them on every output
// of two mainnet blocks) without its intermediate allocations, big-number
// arithmetic or decode-after-encode check.

// hashString is h in display (byte-reversed) hex, like chainhash.Hash.String.
func hashString(h *chainhash.Hash) string {
	var buf [64]byte
	hashhex.Put(&buf, (*[32]byte)(h))
	return string(buf[:])
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58Check encodes version || payload (payload at most 20 bytes) with
// its 4-byte double-SHA256 checksum.
func base58Check(version byte, payload []byte) string {
	var in [25]byte
	in[0] = version
	n := 1 + copy(in[1:21], payload)
	first := sha256.Sum256(in[:n])
	second := sha256.Sum256(first[:])
	copy(in[n:], second[:4])
	n += 4
	return base58Encode(in[:n])
}

// base58Encode encodes up to 32 bytes. The number is held in 32-bit
// limbs and divided by 58^5 per round, a constant the compiler turns into
// a multiplication; each remainder gives five digits.
func base58Encode(in []byte) string {
	const base5 = 58 * 58 * 58 * 58 * 58 // 656356768 < 2^32
	var padded [32]byte
	copy(padded[32-len(in):], in)
	var limbs [8]uint32 // big-endian
	for i := range limbs {
		limbs[i] = uint32(padded[4*i])<<24 | uint32(padded[4*i+1])<<16 | uint32(padded[4*i+2])<<8 | uint32(padded[4*i+3])
	}
	first := 0
	for first < len(limbs) && limbs[first] == 0 {
		first++
	}
	var digits [50]byte // little-endian base-58 digits
	nd := 0
	for first < len(limbs) {
		var rem uint64
		for i := first; i < len(limbs); i++ {
			cur := rem<<32 | uint64(limbs[i])
			limbs[i] = uint32(cur / base5)
			rem = cur % base5
		}
		for k := 0; k < 5; k++ {
			digits[nd] = byte(rem % 58)
			rem /= 58
			nd++
		}
		for first < len(limbs) && limbs[first] == 0 {
			first++
		}
	}
	for nd > 0 && digits[nd-1] == 0 {
		nd--
	}
	zeros := 0
	for zeros < len(in) && in[zeros] == 0 {
		zeros++
	}
	var out [50]byte
	o := 0
	for ; o < zeros; o++ {
		out[o] = '1'
	}
	for i := nd - 1; i >= 0; i-- {
		out[o] = base58Alphabet[digits[i]]
		o++
	}
	return string(out[:o])
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32Table[t] is the XOR of the BCH generator terms selected by the
// five bits t shifted out of the checksum.
var bech32Table = func() (t [32]uint32) {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	for top := range t {
		for i, g := range gen {
			if top>>uint(i)&1 == 1 {
				t[top] ^= g
			}
		}
	}
	return t
}()

func polymodStep(chk uint32, v byte) uint32 {
	return bech32Table[chk>>25] ^ (chk&0x1ffffff)<<5 ^ uint32(v)
}

// segwitAddress encodes a witness program (2 to 40 bytes) for hrp:
// bech32 for version 0, bech32m for later versions (BIP 173, BIP 350).
func segwitAddress(hrp string, version byte, program []byte) string {
	var data [1 + 64]byte // version + program as 5-bit groups
	data[0] = version
	nd := 1 + len(to5bit(program, data[1:1]))
	chk := uint32(1)
	for i := 0; i < len(hrp); i++ {
		chk = polymodStep(chk, hrp[i]>>5)
	}
	chk = polymodStep(chk, 0)
	for i := 0; i < len(hrp); i++ {
		chk = polymodStep(chk, hrp[i]&31)
	}
	for _, v := range data[:nd] {
		chk = polymodStep(chk, v)
	}
	for i := 0; i < 6; i++ {
		chk = polymodStep(chk, 0)
	}
	if version == 0 {
		chk ^= 1
	} else {
		chk ^= 0x2bc830a3
	}
	var out [90]byte
	o := copy(out[:], hrp)
	out[o] = '1'
	o++
	for _, v := range data[:nd] {
		out[o] = bech32Charset[v]
		o++
	}
	for i := 0; i < 6; i++ {
		out[o] = bech32Charset[(chk>>uint(5*(5-i)))&31]
		o++
	}
	return string(out[:o])
}

// to5bit regroups 8-bit bytes into 5-bit groups, padding the last.
func to5bit(in []byte, out []byte) []byte {
	var acc uint32
	var nbits uint8
	for _, b := range in {
		acc = acc<<8 | uint32(b)
		nbits += 8
		for nbits >= 5 {
			nbits -= 5
			out = append(out, byte(acc>>nbits)&31)
		}
	}
	if nbits > 0 {
		out = append(out, byte(acc<<(5-nbits))&31)
	}
	return out
}
