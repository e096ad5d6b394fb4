// Package abiword reads the ABI-encoded data of an event log by 32-byte
// words with strict bounds: every offset, length and value is checked, so
// a malformed log is an error naming the field, never a panic. The bridge
// decoders (thorchain, evmbridges) read their events with it.
package abiword

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
)

// Data is a log's non-indexed ABI data: 32-byte words.
type Data []byte

// Word returns head word i.
func (d Data) Word(i int, name string) ([32]byte, error) {
	if i < 0 || len(d)/32 <= i {
		return [32]byte{}, fmt.Errorf("data is %d bytes, too short for %s (word %d)", len(d), name, i)
	}
	return [32]byte(d[i*32 : i*32+32]), nil
}

// Uint reads word i as a uint256.
func (d Data) Uint(i int, name string) (*big.Int, error) {
	w, err := d.Word(i, name)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(w[:]), nil
}

// UintN reads a word that must hold an unsigned integer of bits bits
// (uint8 … uint64): the ABI pads it with zeros, anything else is an error.
func (d Data) UintN(i, bits int, name string) (uint64, error) {
	w, err := d.Word(i, name)
	if err != nil {
		return 0, err
	}
	return WordUint(w, bits, name)
}

// WordUint reads w as an unsigned integer of bits bits (at most 64).
func WordUint(w [32]byte, bits int, name string) (uint64, error) {
	v := new(big.Int).SetBytes(w[:])
	if v.BitLen() > bits {
		return 0, fmt.Errorf("%s %v does not fit in uint%d", name, v, bits)
	}
	return v.Uint64(), nil
}

// Address reads word i as an address.
func (d Data) Address(i int, name string) (string, error) {
	w, err := d.Word(i, name)
	if err != nil {
		return "", err
	}
	return WordAddress(w, name)
}

// Bool reads word i as a bool: 0 or 1.
func (d Data) Bool(i int, name string) (bool, error) {
	w, err := d.Word(i, name)
	if err != nil {
		return false, err
	}
	v, err := WordUint(w, 1, name)
	return v == 1, err
}

// WordAddress reads an address word (data or an indexed topic): 12 zero
// bytes, then 20; lowercase 0x hex.
func WordAddress(w [32]byte, name string) (string, error) {
	for _, b := range w[:12] {
		if b != 0 {
			return "", fmt.Errorf("%s is not an address (high bytes are set)", name)
		}
	}
	return "0x" + hex.EncodeToString(w[12:]), nil
}

// Bytes reads a dynamic bytes or string value whose offset is head word i.
// heads is the number of head words: the tail starts after them, so the
// offset must be at least heads*32, word aligned, and offset+32+length
// within the data; padded also asks for the value's padding to a whole
// word, as the ABI pads it.
func (d Data) Bytes(i, heads int, name string, padded bool) ([]byte, error) {
	w, err := d.Word(i, name+" offset")
	if err != nil {
		return nil, err
	}
	off, err := SmallWord(w, name+" offset")
	if err != nil {
		return nil, err
	}
	if off < heads*32 || off%32 != 0 {
		return nil, fmt.Errorf("%s offset %d is not a word-aligned tail offset (head is %d bytes)", name, off, heads*32)
	}
	if off > len(d)-32 {
		return nil, fmt.Errorf("%s offset %d leaves no room for its length in %d bytes of data", name, off, len(d))
	}
	n, err := SmallWord([32]byte(d[off:off+32]), name+" length")
	if err != nil {
		return nil, err
	}
	start := off + 32
	if n > len(d)-start {
		return nil, fmt.Errorf("%s length %d runs past the data (%d bytes after the length word)", name, n, len(d)-start)
	}
	if p := (n + 31) / 32 * 32; padded && p > len(d)-start {
		return nil, fmt.Errorf("%s of %d bytes lacks its padding to %d (%d bytes after the length word)", name, n, p, len(d)-start)
	}
	return d[start : start+n], nil
}

// Tuple returns the data of a dynamic tuple whose offset is head word i,
// so that its own offsets are relative to its start.
func (d Data) Tuple(i, heads int, name string) (Data, error) {
	w, err := d.Word(i, name+" offset")
	if err != nil {
		return nil, err
	}
	off, err := SmallWord(w, name+" offset")
	if err != nil {
		return nil, err
	}
	if off < heads*32 || off%32 != 0 || off > len(d) {
		return nil, fmt.Errorf("%s offset %d is not a word-aligned tail offset within %d bytes of data", name, off, len(d))
	}
	return d[off:], nil
}

// SmallWord reads a word that must fit comfortably in an int (an offset or
// a length within a log's data): at most 2^30.
func SmallWord(w [32]byte, name string) (int, error) {
	for _, b := range w[:28] {
		if b != 0 {
			return 0, errors.New(name + " is out of range")
		}
	}
	v := int(w[28])<<24 | int(w[29])<<16 | int(w[30])<<8 | int(w[31])
	if v < 0 || v > 1<<30 {
		return 0, errors.New(name + " is out of range")
	}
	return v, nil
}
