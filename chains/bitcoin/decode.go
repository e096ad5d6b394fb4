package bitcoin

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/chains"
)

// DecodeBlock decodes a serialized block (as `getblock <hash> 0` returns
// it) at height into a chains.Block with addresses encoded for params. It
// checks that the bytes are exactly one block, that want (when non-nil) is
// its hash and that its transactions match the header's merkle root.
func DecodeBlock(raw []byte, height uint64, want *chainhash.Hash, params *chaincfg.Params) (*chains.Block, error) {
	return decodeBlock(raw, height, want, params, newSpender(params))
}

// decodeBlock is DecodeBlock; with a nil sp, inputs get no address (the
// benchmark measures what the derivation costs).
func decodeBlock(raw []byte, height uint64, want *chainhash.Hash, params *chaincfg.Params, sp *spender) (*chains.Block, error) {
	var msg wire.MsgBlock
	locs, err := msg.DeserializeTxLoc(bytes.NewBuffer(raw))
	if err != nil {
		return nil, fmt.Errorf("decode block %d (%d bytes): %w", height, len(raw), err)
	}
	if len(msg.Transactions) == 0 {
		return nil, fmt.Errorf("decode block %d: no transactions", height)
	}
	if last := locs[len(locs)-1]; last.TxStart+last.TxLen != len(raw) {
		return nil, fmt.Errorf("decode block %d: %d trailing bytes after the last transaction",
			height, len(raw)-last.TxStart-last.TxLen)
	}
	hash := chainhash.DoubleHashH(raw[:wire.MaxBlockHeaderPayload])
	if want != nil && hash != *want {
		return nil, fmt.Errorf("decode block %d: got block %s, asked for %s", height, hash, *want)
	}
	txids := make([]chainhash.Hash, len(msg.Transactions))
	for i, tx := range msg.Transactions {
		txids[i] = txid(raw[locs[i].TxStart:locs[i].TxStart+locs[i].TxLen], tx)
	}
	if root := merkleRoot(txids); root != msg.Header.MerkleRoot {
		return nil, fmt.Errorf("decode block %d %s: merkle root %s does not match the header's %s",
			height, hash, root, msg.Header.MerkleRoot)
	}
	b := &chains.Block{
		Chain: chains.Bitcoin,
		Ref: chains.BlockRef{
			Number: height,
			Hash:   hashString(&hash),
			Parent: hashString(&msg.Header.PrevBlock),
			Time:   msg.Header.Timestamp.UTC(),
		},
		Txs: make([]chains.Tx, len(msg.Transactions)),
	}
	// One slab each for the inputs and outputs of the whole block.
	var nin, nout int
	for _, tx := range msg.Transactions {
		nin += len(tx.TxIn)
		nout += len(tx.TxOut)
	}
	ins, outs := make([]chains.Input, nin), make([]chains.Output, nout)
	for i, tx := range msg.Transactions {
		b.Txs[i].Inputs, ins = ins[:len(tx.TxIn):len(tx.TxIn)], ins[len(tx.TxIn):]
		b.Txs[i].Outputs, outs = outs[:len(tx.TxOut):len(tx.TxOut)], outs[len(tx.TxOut):]
		extractTx(&b.Txs[i], tx, txids[i], i, params, sp)
	}
	return b, nil
}

// DecodeTx decodes one serialized transaction (as getrawtransaction
// returns it) into a chains.Tx with Index -1.
func DecodeTx(raw []byte, params *chaincfg.Params) (*chains.Tx, error) {
	var tx wire.MsgTx
	r := bytes.NewReader(raw)
	if err := tx.Deserialize(r); err != nil {
		return nil, fmt.Errorf("decode transaction (%d bytes): %w", len(raw), err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("decode transaction: %d trailing bytes", r.Len())
	}
	out := &chains.Tx{Inputs: make([]chains.Input, len(tx.TxIn)), Outputs: make([]chains.Output, len(tx.TxOut))}
	extractTx(out, &tx, txid(raw, &tx), -1, params, newSpender(params))
	return out, nil
}

// extractTx fills out from tx; out.Inputs and out.Outputs must have the
// lengths of tx's (DecodeTx and DecodeBlock allocate them). An input's
// Address is set, unresolved, when its scriptSig and witness reveal the
// address of the output it spends (see classifySpend).
func extractTx(out *chains.Tx, tx *wire.MsgTx, id chainhash.Hash, index int, params *chaincfg.Params, sp *spender) {
	out.Hash = hashString(&id)
	out.Index = index
	coinbase := index == 0 && len(tx.TxIn) == 1 &&
		tx.TxIn[0].PreviousOutPoint.Index == wire.MaxPrevOutIndex &&
		tx.TxIn[0].PreviousOutPoint.Hash == (chainhash.Hash{})
	for j, in := range tx.TxIn {
		if coinbase {
			out.Inputs[j] = chains.Input{Coinbase: true}
			continue
		}
		out.Inputs[j] = chains.Input{
			Prev:    chains.Outpoint{Tx: hashString(&in.PreviousOutPoint.Hash), Index: in.PreviousOutPoint.Index},
			Address: sp.address(in.SignatureScript, in.Witness),
		}
	}
	for j, o := range tx.TxOut {
		class, addr, data := ScriptOutput(o.PkScript, params)
		out.Outputs[j] = chains.Output{Index: uint32(j), Value: o.Value, Address: addr, Class: class, Data: data}
	}
}

// txid hashes a transaction's serialization without its witness, read
// from the block's own bytes: for a witness transaction the marker and
// flag (2 bytes after the version) and the witnesses (before the lock
// time) are left out.
func txid(raw []byte, tx *wire.MsgTx) chainhash.Hash {
	if !tx.HasWitness() {
		return chainhash.DoubleHashH(raw)
	}
	body := tx.SerializeSizeStripped() - 8 // inputs and outputs with their counts
	h := sha256.New()
	h.Write(raw[:4])
	h.Write(raw[6 : 6+body])
	h.Write(raw[len(raw)-4:])
	var first [32]byte
	h.Sum(first[:0])
	return chainhash.Hash(sha256.Sum256(first[:]))
}

// merkleRoot computes the block merkle root of txids (Bitcoin's tree:
// an odd last node is paired with itself).
func merkleRoot(txids []chainhash.Hash) chainhash.Hash {
	level := append([]chainhash.Hash(nil), txids...)
	var buf [64]byte
	for len(level) > 1 {
		next := level[:0]
		for i := 0; i < len(level); i += 2 {
			j := i + 1
			if j == len(level) {
				j = i
			}
			copy(buf[:32], level[i][:])
			copy(buf[32:], level[j][:])
			next = append(next, chainhash.DoubleHashH(buf[:]))
		}
		level = next
	}
	return level[0]
}
