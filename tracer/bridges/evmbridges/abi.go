package evmbridges

import (
	"encoding/hex"
	"fmt"
	"math/big"
)

// abiData is ABI-encoded data: 32-byte words, read with strict bounds.
type abiData []byte

func (d abiData) word(i int, name string) ([32]byte, error) {
	if i < 0 || len(d)/32 <= i {
		return [32]byte{}, fmt.Errorf("data is %d bytes, too short for %s (word %d)", len(d), name, i)
	}
	return [32]byte(d[i*32 : i*32+32]), nil
}

func (d abiData) uint(i int, name string) (*big.Int, error) {
	w, err := d.word(i, name)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(w[:]), nil
}

// uintN reads a word that must hold an unsigned integer of bits bits
// (uint8 … uint64): the ABI pads it with zeros, anything else is an error.
func (d abiData) uintN(i, bits int, name string) (uint64, error) {
	w, err := d.word(i, name)
	if err != nil {
		return 0, err
	}
	return wordUint(w, bits, name)
}

func wordUint(w [32]byte, bits int, name string) (uint64, error) {
	v := new(big.Int).SetBytes(w[:])
	if v.BitLen() > bits {
		return 0, fmt.Errorf("%s %v does not fit in uint%d", name, v, bits)
	}
	return v.Uint64(), nil
}

func (d abiData) address(i int, name string) (string, error) {
	w, err := d.word(i, name)
	if err != nil {
		return "", err
	}
	return wordAddress(w, name)
}

func (d abiData) bool(i int, name string) (bool, error) {
	w, err := d.word(i, name)
	if err != nil {
		return false, err
	}
	v, err := wordUint(w, 1, name)
	return v == 1, err
}

// wordAddress reads an address word: 12 zero bytes, then 20.
func wordAddress(w [32]byte, name string) (string, error) {
	for _, b := range w[:12] {
		if b != 0 {
			return "", fmt.Errorf("%s is not an address (high bytes are set)", name)
		}
	}
	return "0x" + hex.EncodeToString(w[12:]), nil
}

// bytesAt reads a dynamic bytes or string value whose offset is head word
// i. heads is the number of head words: the tail starts after them, so the
// offset must be at least heads*32, word aligned, and offset+32+length
// within the data, padded to a whole word as the ABI pads it.
func (d abiData) bytesAt(i, heads int, name string) ([]byte, error) {
	w, err := d.word(i, name+" offset")
	if err != nil {
		return nil, err
	}
	off, err := smallWord(w, name+" offset")
	if err != nil {
		return nil, err
	}
	if off < heads*32 || off%32 != 0 {
		return nil, fmt.Errorf("%s offset %d is not a word-aligned tail offset (head is %d bytes)", name, off, heads*32)
	}
	if off > len(d)-32 {
		return nil, fmt.Errorf("%s offset %d leaves no room for its length in %d bytes of data", name, off, len(d))
	}
	n, err := smallWord([32]byte(d[off:off+32]), name+" length")
	if err != nil {
		return nil, err
	}
	start := off + 32
	if n > len(d)-start {
		return nil, fmt.Errorf("%s length %d runs past the data (%d bytes after the length word)", name, n, len(d)-start)
	}
	if padded := (n + 31) / 32 * 32; padded > len(d)-start {
		return nil, fmt.Errorf("%s of %d bytes lacks its padding to %d (%d bytes after the length word)", name, n, padded, len(d)-start)
	}
	return d[start : start+n], nil
}

// tuple returns the data of a dynamic tuple whose offset is head word i,
// so that its own offsets are relative to its start.
func (d abiData) tuple(i, heads int, name string) (abiData, error) {
	w, err := d.word(i, name+" offset")
	if err != nil {
		return nil, err
	}
	off, err := smallWord(w, name+" offset")
	if err != nil {
		return nil, err
	}
	if off < heads*32 || off%32 != 0 || off > len(d) {
		return nil, fmt.Errorf("%s offset %d is not a word-aligned tail offset within %d bytes of data", name, off, len(d))
	}
	return d[off:], nil
}

// smallWord reads a word that must fit comfortably in an int (an offset or
// a length within a log's data).
func smallWord(w [32]byte, name string) (int, error) {
	v, err := wordUint(w, 31, name)
	if err != nil {
		return 0, err
	}
	return int(v), nil
}
