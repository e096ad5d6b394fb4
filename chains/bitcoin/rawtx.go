package bitcoin

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The serialization of blocks and transactions (BIP 144 for witnesses) is
// read in place: a first pass checks a transaction's structure and notes
// where its parts are (txSpan), a second fills chains.Tx from the same
// bytes, with scripts and witnesses left as slices of them. This accepts
// exactly the serializations wire/v2's MsgTx decoder accepts, within the
// bytes given (TestParserAgreesWithWire and FuzzParserAgreesWithWire
// compare the two), and allocates nothing per input or output.

// Limits of wire/v2's decoder (msgtx.go, msgblock.go), kept so that both
// refuse the same absurd counts before reading past the bytes.
const (
	maxTxPerBlock           = 4_000_000/10 + 1
	maxWitnessItemsPerInput = 4_000_000
	maxScriptSize           = 4_000_000
	scriptSlabSize          = 1 << 22 // all the scripts and witness items of one transaction
	minTxInSize             = 41      // outpoint, empty script, sequence
	minTxOutSize            = 9       // value, empty script
	minTxSize               = 10      // version, two counts, lock time
)

var (
	errTruncated   = errors.New("unexpected end of data")
	errNonCanon    = errors.New("non-canonical varint")
	errWitnessFlag = errors.New("witness flag set but tx has no witnesses")
)

// txSpan locates the parts of one serialized transaction in a buffer.
type txSpan struct {
	start, end int // the whole transaction
	ins        int // the input count's varint (after the marker and flag)
	outsEnd    int // the end of the outputs: where witnesses (or the lock time) begin
	nin, nout  int
	witness    bool
}

// stripped reports the parts of a witness transaction its txid hashes:
// the version, the inputs and outputs with their counts, the lock time.
func (s *txSpan) stripped(b []byte) (version, body, lockTime []byte) {
	return b[s.start : s.start+4], b[s.ins:s.outsEnd], b[s.end-4 : s.end]
}

// varint reads a canonical CompactSize integer at b[off:].
func varint(b []byte, off int) (uint64, int, error) {
	if off >= len(b) {
		return 0, off, errTruncated
	}
	switch d := b[off]; d {
	case 0xfd:
		if off+3 > len(b) {
			return 0, off, errTruncated
		}
		v := uint64(binary.LittleEndian.Uint16(b[off+1:]))
		if v < 0xfd {
			return 0, off, errNonCanon
		}
		return v, off + 3, nil
	case 0xfe:
		if off+5 > len(b) {
			return 0, off, errTruncated
		}
		v := uint64(binary.LittleEndian.Uint32(b[off+1:]))
		if v < 0x10000 {
			return 0, off, errNonCanon
		}
		return v, off + 5, nil
	case 0xff:
		if off+9 > len(b) {
			return 0, off, errTruncated
		}
		v := binary.LittleEndian.Uint64(b[off+1:])
		if v < 0x100000000 {
			return 0, off, errNonCanon
		}
		return v, off + 9, nil
	default:
		return uint64(d), off + 1, nil
	}
}

// skipBytes reads a varint length at b[off:] and steps over that many
// bytes, returning the offset of the data and the offset after it (for
// bytes scanTx already checked, or a witness being read).
func skipBytes(b []byte, off int) (int, int, error) {
	return skipScript(b, off, "item", nil)
}

// skipScript is skipBytes for a script or witness item of a transaction
// being scanned: with slab non-nil, the item must also fit in what is left
// of the transaction's 4 MiB of scripts, which it then takes (wire/v2
// reads a transaction's scripts into one buffer of that size and refuses
// what does not fit).
func skipScript(b []byte, off int, what string, slab *int) (int, int, error) {
	n, off, err := varint(b, off)
	if err != nil {
		return 0, off, fmt.Errorf("%s length: %w", what, err)
	}
	if n > maxScriptSize {
		return 0, off, fmt.Errorf("%s of %d bytes is larger than the max allowed size %d", what, n, maxScriptSize)
	}
	if slab != nil {
		if n > uint64(*slab) {
			return 0, off, fmt.Errorf("%s of %d bytes exceeds the %d bytes left of the transaction's %d for scripts", what, n, *slab, scriptSlabSize)
		}
		*slab -= int(n)
	}
	if n > uint64(len(b)-off) {
		return 0, off, fmt.Errorf("%s of %d bytes: %w", what, n, errTruncated)
	}
	return off, off + int(n), nil
}

// scanTx checks the transaction serialized at b[off:] and locates its
// parts; errors name the part that is wrong.
func scanTx(b []byte, off int) (txSpan, error) {
	s := txSpan{start: off}
	slab := scriptSlabSize
	if off+4 > len(b) {
		return s, fmt.Errorf("version: %w", errTruncated)
	}
	off += 4
	n, next, err := varint(b, off)
	if err != nil {
		return s, fmt.Errorf("input count: %w", err)
	}
	if n == 0 { // the segwit marker
		if next >= len(b) {
			return s, fmt.Errorf("witness flag: %w", errTruncated)
		}
		if flag := b[next]; flag != 0x01 {
			return s, fmt.Errorf("witness tx but flag byte is %02x", flag)
		}
		s.witness = true
		off = next + 1
		if n, next, err = varint(b, off); err != nil {
			return s, fmt.Errorf("input count: %w", err)
		}
	}
	s.ins = off
	if n > uint64(len(b)-next)/minTxInSize {
		return s, fmt.Errorf("%d inputs: %w", n, errTruncated)
	}
	s.nin, off = int(n), next
	for i := 0; i < s.nin; i++ {
		if off+36 > len(b) {
			return s, fmt.Errorf("input %d outpoint: %w", i, errTruncated)
		}
		if _, off, err = skipScript(b, off+36, "input script", &slab); err != nil {
			return s, fmt.Errorf("input %d: %w", i, err)
		}
		if off+4 > len(b) {
			return s, fmt.Errorf("input %d sequence: %w", i, errTruncated)
		}
		off += 4
	}
	if n, off, err = varint(b, off); err != nil {
		return s, fmt.Errorf("output count: %w", err)
	}
	if n > uint64(len(b)-off)/minTxOutSize {
		return s, fmt.Errorf("%d outputs: %w", n, errTruncated)
	}
	s.nout = int(n)
	for i := 0; i < s.nout; i++ {
		if off+8 > len(b) {
			return s, fmt.Errorf("output %d value: %w", i, errTruncated)
		}
		if _, off, err = skipScript(b, off+8, "output script", &slab); err != nil {
			return s, fmt.Errorf("output %d: %w", i, err)
		}
	}
	s.outsEnd = off
	if s.witness {
		any := false
		for i := 0; i < s.nin; i++ {
			items, next, err := varint(b, off)
			if err != nil {
				return s, fmt.Errorf("input %d witness count: %w", i, err)
			}
			if items > maxWitnessItemsPerInput {
				return s, fmt.Errorf("input %d: %d witness items, max %d", i, items, maxWitnessItemsPerInput)
			}
			any = any || items > 0
			off = next
			for j := uint64(0); j < items; j++ {
				if _, off, err = skipScript(b, off, "witness item", &slab); err != nil {
					return s, fmt.Errorf("input %d witness item %d: %w", i, j, err)
				}
			}
		}
		if !any {
			return s, errWitnessFlag
		}
	}
	if off+4 > len(b) {
		return s, fmt.Errorf("lock time: %w", errTruncated)
	}
	s.end = off + 4
	return s, nil
}

// witnessStack steps over one input's serialized witness stack at b[off:]
// (already checked by scanTx) and returns its end.
func witnessStack(b []byte, off int) int {
	items, off, _ := varint(b, off)
	for j := uint64(0); j < items; j++ {
		_, off, _ = skipBytes(b, off)
	}
	return off
}

// witnessItems returns the number of items of a serialized witness stack
// and its last item (nil when empty or malformed).
func witnessItems(w []byte) (int, []byte) {
	items, off, err := varint(w, 0)
	if err != nil || items > maxWitnessItemsPerInput {
		return 0, nil
	}
	var last []byte
	for j := uint64(0); j < items; j++ {
		var start int
		if start, off, err = skipBytes(w, off); err != nil {
			return 0, nil
		}
		last = w[start:off]
	}
	return int(items), last
}
