package bitcoin

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// compareWithWire parses raw as a block with scanBlock and fillTx and with
// wire/v2's decoder, and reports the first difference: one accepting what
// the other refuses, transaction boundaries, or any field of any input or
// output (scripts and witnesses byte for byte).
func compareWithWire(raw []byte) error {
	if len(raw) < wire.MaxBlockHeaderPayload {
		return nil // DecodeBlock refuses it before parsing
	}
	var msg wire.MsgBlock
	r := bytes.NewBuffer(raw)
	locs, wireErr := msg.DeserializeTxLoc(r)
	if wireErr == nil && r.Len() != 0 {
		wireErr = fmt.Errorf("%d trailing bytes", r.Len())
	}
	if wireErr == nil && len(msg.Transactions) == 0 {
		wireErr = fmt.Errorf("no transactions") // wire accepts an empty block; a real block never is
	}
	spans, nin, nout, err := scanBlock(raw, nil)
	switch {
	case (err == nil) != (wireErr == nil):
		return fmt.Errorf("scanBlock error %v, wire error %v", err, wireErr)
	case err != nil:
		return nil
	case len(spans) != len(locs):
		return fmt.Errorf("%d transactions, wire %d", len(spans), len(locs))
	}
	ids := new(scratch).txids(raw, spans)
	txs := fillTxs(raw, spans, ids, nin, nout)
	for i := range spans {
		s, mt := &spans[i], msg.Transactions[i]
		if s.start != locs[i].TxStart || s.end-s.start != locs[i].TxLen || s.witness != mt.HasWitness() {
			return fmt.Errorf("tx %d at %d+%d witness %v, wire %d+%d %v", i, s.start, s.end-s.start, s.witness,
				locs[i].TxStart, locs[i].TxLen, mt.HasWitness())
		}
		tx := &txs[i]
		if id := ids[i]; id != mt.TxHash() {
			return fmt.Errorf("tx %d: txid %s, wire %s", i, id, mt.TxHash())
		}
		if len(tx.Inputs) != len(mt.TxIn) || len(tx.Outputs) != len(mt.TxOut) {
			return fmt.Errorf("tx %d: %d/%d inputs/outputs, wire %d/%d", i, len(tx.Inputs), len(tx.Outputs), len(mt.TxIn), len(mt.TxOut))
		}
		for j, in := range tx.Inputs {
			w := mt.TxIn[j]
			if !bytes.Equal(in.SigScript, w.SignatureScript) || !bytes.Equal(in.Witness, witnessBytes(w.Witness, s.witness)) {
				return fmt.Errorf("tx %d input %d: script %x witness %x, wire %x %x", i, j, in.SigScript, in.Witness, w.SignatureScript, w.Witness)
			}
			if !in.Coinbase && (in.Prev.Tx != w.PreviousOutPoint.Hash.String() || in.Prev.Index != w.PreviousOutPoint.Index) {
				return fmt.Errorf("tx %d input %d spends %s, wire %s", i, j, in.Prev, w.PreviousOutPoint)
			}
		}
		for j, o := range tx.Outputs {
			w := mt.TxOut[j]
			if o.Value != w.Value || !bytes.Equal(o.Script, w.PkScript) || o.Index != uint32(j) {
				return fmt.Errorf("tx %d output %d: %d %x, wire %d %x", i, j, o.Value, o.Script, w.Value, w.PkScript)
			}
		}
	}
	return nil
}

// witnessBytes serializes a witness stack as the transaction carries it
// (nothing for a transaction without witnesses).
func witnessBytes(w wire.TxWitness, witnessTx bool) []byte {
	if !witnessTx {
		return nil
	}
	var buf bytes.Buffer
	_ = wire.WriteVarInt(&buf, 0, uint64(len(w)))
	for _, item := range w {
		_ = wire.WriteVarBytes(&buf, 0, item)
	}
	return buf.Bytes()
}

// TestParserAgreesWithWire compares the in-place parser with wire/v2's
// decoder on both real mainnet blocks, field by field.
func TestParserAgreesWithWire(t *testing.T) {
	for _, tc := range mainnetBlocks {
		t.Run(tc.name, func(t *testing.T) {
			if err := compareWithWire(readBlock(t, tc.file)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// smallBlock is a block of three transactions: a coinbase with a witness
// commitment, a legacy spend with two inputs, and a witness spend whose
// second input has an empty stack. Its merkle root is not filled in: the
// parser does not need it.
func smallBlock(tb testing.TB) []byte {
	tb.Helper()
	cb := wire.NewMsgTx(2)
	cb.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex}, SignatureScript: []byte{3, 1, 2, 3},
		Witness: wire.TxWitness{make([]byte, 32)}, Sequence: wire.MaxTxInSequenceNum})
	cb.AddTxOut(&wire.TxOut{Value: 625_000_000, PkScript: append([]byte{0, 20}, make([]byte, 20)...)})
	cb.AddTxOut(&wire.TxOut{Value: 0, PkScript: []byte{0x6a, 4, 0xaa, 0x21, 0xa9, 0xed}})
	legacy := wire.NewMsgTx(1)
	legacy.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{1}, Index: 0}, SignatureScript: bytes.Repeat([]byte{0x51}, 3), Sequence: 1})
	legacy.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{2}, Index: 7}, Sequence: 2})
	legacy.AddTxOut(&wire.TxOut{Value: 1234, PkScript: []byte{0xa9, 20, 1, 2}})
	seg := wire.NewMsgTx(2)
	seg.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{3}, Index: 1}, Witness: wire.TxWitness{{1, 2}, bytes.Repeat([]byte{2}, 33)}})
	seg.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{4}, Index: 2}})
	seg.AddTxOut(&wire.TxOut{Value: 99, PkScript: nil})
	blk := wire.NewMsgBlock(&wire.BlockHeader{Version: 4})
	for _, tx := range []*wire.MsgTx{cb, legacy, seg} {
		if err := blk.AddTransaction(tx); err != nil {
			tb.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := blk.Serialize(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestParserRejectsLikeWire takes the small block apart at every point
// where the serialization can go wrong and checks that the parser and
// wire/v2 refuse the same cases and agree on the rest.
func TestParserRejectsLikeWire(t *testing.T) {
	raw := smallBlock(t)
	if err := compareWithWire(raw); err != nil {
		t.Fatal(err)
	}
	// Every truncation, every single-byte corruption.
	for n := 80; n < len(raw); n++ {
		if err := compareWithWire(raw[:n]); err != nil {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	for i := 80; i < len(raw); i++ {
		for _, v := range []byte{0x00, 0x01, 0xfc, 0xfd, 0xfe, 0xff, raw[i] ^ 0x80} {
			mut := bytes.Clone(raw)
			mut[i] = v
			if err := compareWithWire(mut); err != nil {
				t.Fatalf("byte %d set to %02x: %v", i, v, err)
			}
		}
	}
}

// TestParserScriptSlabLikeWire: wire/v2 reads all the scripts of one
// transaction into 4 MiB; a transaction whose scripts fit is accepted by
// both, one whose scripts overflow it (each under the per-item limit) is
// refused by both.
func TestParserScriptSlabLikeWire(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int
		refuse bool
	}{
		{"two scripts of 2,000,000 bytes", 2_000_000, false},
		{"two scripts of 2,100,000 bytes", 2_100_000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx := wire.NewMsgTx(1)
			tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{9}}})
			tx.AddTxOut(&wire.TxOut{Value: 1, PkScript: make([]byte, tc.size)})
			tx.AddTxOut(&wire.TxOut{Value: 2, PkScript: make([]byte, tc.size)})
			blk := wire.NewMsgBlock(&wire.BlockHeader{Version: 4})
			if err := blk.AddTransaction(tx); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := blk.BtcEncode(&buf, 0, wire.WitnessEncoding); err != nil {
				t.Fatal(err)
			}
			raw := buf.Bytes()
			if err := compareWithWire(raw); err != nil {
				t.Fatal(err)
			}
			_, _, _, err := scanBlock(raw, nil)
			if (err != nil) != tc.refuse {
				t.Fatalf("scanBlock error %v; want refused %v", err, tc.refuse)
			}
			if tc.refuse && !strings.Contains(err.Error(), "exceeds the") {
				t.Fatalf("error %q does not say the scripts overflow", err)
			}
		})
	}
}

// FuzzParserAgreesWithWire feeds arbitrary bytes after a header.
func FuzzParserAgreesWithWire(f *testing.F) {
	raw := smallBlock(f)
	f.Add(raw[80:])
	f.Add([]byte{1, 1, 0, 0, 0, 0, 1, 0})
	f.Add([]byte{1, 1, 0, 0, 0, 0xfd, 1, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		if err := compareWithWire(append(bytes.Clone(raw[:80]), body...)); err != nil {
			t.Fatal(err)
		}
	})
}
