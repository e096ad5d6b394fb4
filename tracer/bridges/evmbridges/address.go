package evmbridges

import (
	"encoding/hex"
	"unicode/utf8"
)

// word32Address writes a 32-byte address word for chain: an EVM address
// (12 zero bytes, then 20) as lowercase 0x hex when evm, a Solana key in
// base58, anything else as 0x hex of all 32 bytes.
func word32Address(w [32]byte, chain string, evm bool) string {
	if evm && isZero(w[:12]) {
		return "0x" + hex.EncodeToString(w[12:])
	}
	if chain == "solana" {
		return base58(w[:])
	}
	return "0x" + hex.EncodeToString(w[:])
}

// bytesAddress writes a receiver given as bytes: a Bitcoin (or other
// text) address as its text when it is printable ASCII, a 32-byte Solana
// key in base58, else 0x hex.
func bytesAddress(b []byte, chain string) string {
	if chain == "solana" && len(b) == 32 {
		return base58(b)
	}
	if len(b) > 0 && printable(b) {
		return string(b)
	}
	return "0x" + hex.EncodeToString(b)
}

func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
