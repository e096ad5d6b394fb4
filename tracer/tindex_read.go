package tracer

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/chainhound/chainhound/chains"
)

// IndexReader reads the transfer index for screening
// (docs/decisions/0022-screening.md): the blocks in which an address
// moved funds (on Bitcoin: was paid), and those blocks. It reads only.
type IndexReader struct{ x *transferIndex }

// NewIndexReader reads the index a store holds, as it is when the reader
// first looks (its extent is read once): for a one-off reader such as
// the CLI's. A running engine's reader is Engine.Index.
func NewIndexReader(st IndexStore) *IndexReader {
	return &IndexReader{x: &transferIndex{st: st, meta: map[chains.Chain]*indexMeta{}}}
}

// Index returns a reader of the engine's transfer index (nil without one).
func (e *Engine) Index() *IndexReader {
	if e.idx == nil {
		return nil
	}
	return &IndexReader{x: e.idx}
}

// Covered returns the heights the index holds of c (ok false: none).
func (r *IndexReader) Covered(ctx context.Context, c chains.Chain) (first, last uint64, ok bool, err error) {
	return r.x.covered(ctx, c)
}

// AddressBlocks returns up to limit heights, the latest, at which addr
// (lowercase 0x-hex; a Bitcoin address as the follower writes it) had a
// flow (on Bitcoin: an output paid it), ascending.
func (r *IndexReader) AddressBlocks(ctx context.Context, c chains.Chain, addr string, limit int) ([]uint64, error) {
	p := idxAddrPrefix(c, addr)
	var hs []uint64
	err := r.x.st.ScanTracerRange(ctx, p, prefixEnd(p), func(key, _ []byte) error {
		if len(key) != len(p)+8 {
			return nil
		}
		hs = append(hs, binary.BigEndian.Uint64(key[len(p):]))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the %s transfer index of %s: %w", c, addr, err)
	}
	if limit > 0 && len(hs) > limit {
		hs = hs[len(hs)-limit:]
	}
	return hs, nil
}

// Block returns c's block at h from the index (nil: not held).
func (r *IndexReader) Block(ctx context.Context, c chains.Chain, h uint64) (*chains.Block, error) {
	return r.x.block(ctx, c, h)
}

// prefixEnd returns the smallest key greater than every key with prefix.
func prefixEnd(prefix []byte) []byte {
	end := slices.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// IndexMetaKV is the record that says the index holds c's blocks
// first…last: with IndexKVs of each block, what a tool that writes an
// index of its own (a benchmark, an import) stores.
func IndexMetaKV(c chains.Chain, first, last uint64) KV {
	v, _ := json.Marshal(indexMeta{Has: true, First: first, Last: last})
	return KV{Key: idxMetaKey(c), Value: v}
}
