package bitcoin

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"unsafe"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/bitcoin/internal/hashhex"
	"github.com/chainhound/chainhound/chains/bitcoin/internal/sha256d"
)

// DecodeBlock decodes a serialized block (as `getblock <hash> 0` returns
// it) at height into a chains.Block. It checks that the bytes are exactly
// one block, that want (when non-nil) is its hash and that its
// transactions match the header's merkle root.
//
// Addresses are deferred: outputs keep their scripts and inputs their
// spending data, and the block's Addresser encodes them for params when
// asked (chains.Block.OutputAddress, InputAddress, DeriveAddresses). The
// scripts and witnesses are slices of raw, which must not change while the
// block is in use (OP_RETURN data is a copy).
func DecodeBlock(raw []byte, height uint64, want *chainhash.Hash, params *chaincfg.Params) (*chains.Block, error) {
	if len(raw) < wire.MaxBlockHeaderPayload {
		return nil, fmt.Errorf("decode block %d (%d bytes): header: %w", height, len(raw), errTruncated)
	}
	var hdr wire.BlockHeader
	if err := hdr.Deserialize(bytes.NewReader(raw[:wire.MaxBlockHeaderPayload])); err != nil {
		return nil, fmt.Errorf("decode block %d: header: %w", height, err)
	}
	hash := chainhash.DoubleHashH(raw[:wire.MaxBlockHeaderPayload])
	if want != nil && hash != *want {
		return nil, fmt.Errorf("decode block %d: got block %s, asked for %s", height, hash, *want)
	}
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	spans, nin, nout, err := scanBlock(raw, sc.spans[:0])
	if spans != nil {
		sc.spans = spans // keep the grown buffer
	}
	if err != nil {
		return nil, fmt.Errorf("decode block %d (%d bytes): %w", height, len(raw), err)
	}
	ids := sc.txids(raw, spans)
	b := &chains.Block{
		Chain: chains.Bitcoin,
		Ref: chains.BlockRef{
			Number: height,
			Hash:   hashString(&hash),
			Parent: hashString(&hdr.PrevBlock),
			Time:   hdr.Timestamp.UTC(),
		},
		Txs:       fillTxs(raw, spans, ids, nin, nout),
		Addresser: newAddresser(params),
	}
	if root := sha256d.MerkleRoot(ids); root != hdr.MerkleRoot {
		return nil, fmt.Errorf("decode block %d %s: merkle root %s does not match the header's %s",
			height, hash, root, hdr.MerkleRoot)
	}
	return b, nil
}

// scanBlock checks the transactions that follow a block's header and
// locates them: exactly the bytes of a transaction count and that many
// transactions.
func scanBlock(raw []byte, spans []txSpan) (_ []txSpan, nin, nout int, err error) {
	ntx, off, err := varint(raw, wire.MaxBlockHeaderPayload)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("transaction count: %w", err)
	}
	if ntx == 0 {
		return nil, 0, 0, errors.New("no transactions")
	}
	if ntx > maxTxPerBlock || ntx > uint64(len(raw)-off)/minTxSize {
		return nil, 0, 0, fmt.Errorf("%d transactions cannot fit", ntx)
	}
	spans = slices.Grow(spans[:0], int(ntx))[:ntx]
	for i := range spans {
		s, err := scanTx(raw, off)
		if err != nil {
			return spans, 0, 0, fmt.Errorf("transaction %d at byte %d: %w", i, off, err)
		}
		spans[i], off = s, s.end
		nin += s.nin
		nout += s.nout
	}
	if off != len(raw) {
		return nil, 0, 0, fmt.Errorf("%d trailing bytes after the last transaction", len(raw)-off)
	}
	return spans, nin, nout, nil
}

// DecodeTx decodes one serialized transaction (as getrawtransaction
// returns it) into a chains.Tx with Index -1 and every address filled.
func DecodeTx(raw []byte, params *chaincfg.Params) (*chains.Tx, error) {
	s, err := scanTx(raw, 0)
	if err != nil {
		return nil, fmt.Errorf("decode transaction (%d bytes): %w", len(raw), err)
	}
	if s.end != len(raw) {
		return nil, fmt.Errorf("decode transaction: %d trailing bytes", len(raw)-s.end)
	}
	raw = bytes.Clone(raw) // the input scripts outlive the caller's buffer
	var sc scratch
	id := sc.txids(raw, []txSpan{s})[0]
	tx := &chains.Tx{Inputs: make([]chains.Input, s.nin), Outputs: make([]chains.Output, s.nout)}
	fillTx(tx, raw, &s, &id, -1, newHexSlab(s.nin))
	b := chains.Block{Txs: []chains.Tx{*tx}, Addresser: newAddresser(params)}
	b.DeriveAddresses()
	// Outputs are kept apart from their transaction (the prevout cache):
	// their own scripts, not slices of the whole transaction.
	for i := range tx.Outputs {
		tx.Outputs[i].Script = bytes.Clone(tx.Outputs[i].Script)
	}
	return &b.Txs[0], nil
}

// hexSlab hands out the display hex of hashes as strings over 64-byte
// pieces of one buffer: one allocation for all the outpoints a block
// spends instead of one each. A piece becomes a string once written, and
// is never written again; a consumer that keeps an outpoint beyond the
// block clones its txid (the tracer's journal does), or it keeps the
// whole buffer alive.
type hexSlab struct{ buf []byte }

func newHexSlab(n int) *hexSlab { return &hexSlab{buf: make([]byte, 64*n)} }

// next returns h in display hex, in the slab's next 64 bytes.
func (s *hexSlab) next(h *chainhash.Hash) string {
	piece := (*[64]byte)(s.buf)
	hashhex.Put(piece, (*[32]byte)(h))
	s.buf = s.buf[64:]
	return unsafe.String(&piece[0], 64)
}

// fillTxs builds the transactions spans locates in raw, with txids ids:
// one slab each for the inputs and outputs of the whole block, and one
// buffer holding the txids the inputs spend, in hex.
func fillTxs(raw []byte, spans []txSpan, ids []chainhash.Hash, nin, nout int) []chains.Tx {
	txs := make([]chains.Tx, len(spans))
	ins, outs := make([]chains.Input, nin), make([]chains.Output, nout)
	prevs := newHexSlab(nin)
	for i := range spans {
		s := &spans[i]
		txs[i].Inputs, ins = ins[:s.nin:s.nin], ins[s.nin:]
		txs[i].Outputs, outs = outs[:s.nout:s.nout], outs[s.nout:]
		fillTx(&txs[i], raw, s, &ids[i], i, prevs)
	}
	return txs
}

// fillTx fills tx (whose Inputs and Outputs have the span's lengths) from
// the transaction scanTx checked at s, writing the txids it spends in
// hexes.
func fillTx(tx *chains.Tx, raw []byte, s *txSpan, id *chainhash.Hash, index int, hexes *hexSlab) {
	// A string of its own: consumers keep txids (tainted outputs, findings)
	// long after the block, and a view into the slab would keep the
	// whole slab alive.
	tx.Hash = hashString(id)
	tx.Index = index
	off := s.ins
	_, off, _ = varint(raw, off)
	for j := range tx.Inputs {
		in := &tx.Inputs[j]
		prev := (*chainhash.Hash)(raw[off : off+32])
		vout := binary.LittleEndian.Uint32(raw[off+32:])
		var start int
		start, off, _ = skipBytes(raw, off+36)
		off += 4
		in.SigScript = raw[start : off-4 : off-4]
		if index == 0 && s.nin == 1 && vout == wire.MaxPrevOutIndex && *prev == (chainhash.Hash{}) {
			in.Coinbase = true
			continue
		}
		in.Prev = chains.Outpoint{Tx: hexes.next(prev), Index: vout}
	}
	_, off, _ = varint(raw, off)
	for j := range tx.Outputs {
		o := &tx.Outputs[j]
		o.Index = uint32(j)
		o.Value = int64(binary.LittleEndian.Uint64(raw[off:]))
		var start int
		start, off, _ = skipBytes(raw, off+8)
		o.Script = raw[start:off:off]
		o.Class = scriptClass(o.Script)
		if o.Class == chains.NullData {
			o.Data = nullData(o.Script[1:])
		}
	}
	if s.witness {
		for j := range tx.Inputs {
			end := witnessStack(raw, off)
			tx.Inputs[j].Witness = raw[off:end:end]
			off = end
		}
	}
}

// scratch is what decoding a block needs only while it runs, pooled so
// that block after block reuses it. A pooled scratch holds no pointer into
// a block (release clears the message list); its buffers keep their
// largest size, at most about a block's bytes (the stripped witness
// transactions) per pooled copy.
type scratch struct {
	spans    []txSpan
	ids      []chainhash.Hash
	msgs     [][]byte
	stripped []byte
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// release returns sc to the pool, holding nothing of the block.
func (sc *scratch) release() {
	clear(sc.msgs)
	scratchPool.Put(sc)
}

// txids returns the txid of each transaction spans locates in raw: the
// double SHA-256 of its serialization without the witness. A transaction
// without witness is hashed in place; for a witness transaction the
// version, inputs, outputs and lock time are copied together first, the
// marker, flag and witnesses left out. The result is sc's until its next
// use.
func (sc *scratch) txids(raw []byte, spans []txSpan) []chainhash.Hash {
	var stripped int
	for i := range spans {
		if s := &spans[i]; s.witness {
			stripped += 8 + s.outsEnd - s.ins
		}
	}
	buf := slices.Grow(sc.stripped[:0], stripped)
	msgs := slices.Grow(sc.msgs[:0], len(spans))[:len(spans)]
	for i := range spans {
		s := &spans[i]
		if !s.witness {
			msgs[i] = raw[s.start:s.end]
			continue
		}
		version, body, lockTime := s.stripped(raw)
		start := len(buf)
		buf = append(buf, version...)
		buf = append(buf, body...)
		buf = append(buf, lockTime...)
		msgs[i] = buf[start:len(buf):len(buf)]
	}
	ids := slices.Grow(sc.ids[:0], len(spans))[:len(spans)]
	sha256d.Sum(ids, msgs)
	sc.stripped, sc.msgs, sc.ids = buf, msgs, ids
	return ids
}
