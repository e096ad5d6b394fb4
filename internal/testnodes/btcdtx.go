package testnodes

import (
	"crypto/sha256"
	"testing"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// Coin is an unspent output the test key can sign for.
type Coin struct {
	OutPoint wire.OutPoint
	Value    int64 // satoshi
	PkScript []byte
}

// BtcdFee is the fee every harness transaction pays (well above btcd's
// minimum relay fee for the sizes the helpers build).
const BtcdFee = 20_000

// MatureCoins returns n matured coinbase outputs paying to Address that no
// earlier call returned, oldest first; it mines until enough have matured.
func (b *Btcd) MatureCoins(tb testing.TB, n int) []Coin {
	tb.Helper()
	script, err := txscript.PayToAddrScript(b.Address)
	if err != nil {
		tb.Fatalf("testnodes: %v", err)
	}
	maturity := int32(b.Params.CoinbaseMaturity)
	for {
		_, tip := b.Tip(tb)
		var coins []Coin
		b.mu.Lock()
		for h := int32(1); h+maturity <= tip && len(coins) < n; h++ {
			hash, err := b.Client.GetBlockHash(int64(h))
			if err != nil {
				b.mu.Unlock()
				tb.Fatalf("testnodes: getblockhash %d: %v", h, err)
			}
			blk, err := b.Client.GetBlock(hash)
			if err != nil {
				b.mu.Unlock()
				tb.Fatalf("testnodes: getblock %s: %v", hash, err)
			}
			cb := blk.Transactions[0]
			for i, out := range cb.TxOut {
				op := wire.OutPoint{Hash: cb.TxHash(), Index: uint32(i)}
				if b.used[op] || string(out.PkScript) != string(script) || len(coins) >= n {
					continue
				}
				coins = append(coins, Coin{OutPoint: op, Value: out.Value, PkScript: out.PkScript})
			}
		}
		if len(coins) == n {
			for _, c := range coins {
				b.used[c.OutPoint] = true
			}
			b.mu.Unlock()
			return coins
		}
		b.mu.Unlock()
		need := int32(n-len(coins)) + maturity + 1 - tip
		if need < int32(n-len(coins)) {
			need = int32(n - len(coins))
		}
		b.Generate(tb, uint32(need))
	}
}

// BtcdScripts are one output script of each standard kind, keyed by the
// script class name of chains ("p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr",
// "p2a"), with the address each encodes to on the node's network.
type BtcdScripts map[string]struct {
	Script  []byte
	Address string
}

// Scripts builds one output script of each standard kind from keys derived
// from the test key (P2SH and P2WSH wrap a 1-of-1 multisig).
func (b *Btcd) Scripts(tb testing.TB) BtcdScripts {
	tb.Helper()
	pub := b.Key.PubKey().SerializeCompressed()
	redeem, err := txscript.NewScriptBuilder().AddOp(txscript.OP_1).AddData(pub).
		AddOp(txscript.OP_1).AddOp(txscript.OP_CHECKMULTISIG).Script()
	if err != nil {
		tb.Fatalf("testnodes: %v", err)
	}
	ws := sha256.Sum256(redeem)
	mk := func(a address.Address, err error) address.Address {
		if err != nil {
			tb.Fatalf("testnodes: address: %v", err)
		}
		return a
	}
	addrs := map[string]address.Address{
		"p2pkh":  mk(address.NewAddressPubKeyHash(address.Hash160(pub), b.Params)),
		"p2sh":   mk(address.NewAddressScriptHash(redeem, b.Params)),
		"p2wpkh": b.Address,
		"p2wsh":  mk(address.NewAddressWitnessScriptHash(ws[:], b.Params)),
		"p2tr": mk(address.NewAddressTaproot(
			schnorrKey(txscript.ComputeTaprootKeyNoScript(b.Key.PubKey())), b.Params)),
		"p2a": mk(address.NewAddressPayToAnchor(b.Params)),
	}
	out := BtcdScripts{}
	for k, a := range addrs {
		s, err := txscript.PayToAddrScript(a)
		if err != nil {
			tb.Fatalf("testnodes: script for %s: %v", k, err)
		}
		out[k] = struct {
			Script  []byte
			Address string
		}{s, a.EncodeAddress()}
	}
	return out
}

func schnorrKey(k *btcec.PublicKey) []byte { return k.SerializeCompressed()[1:] }

// NullData returns an OP_RETURN script carrying data.
func NullData(tb testing.TB, data []byte) []byte {
	tb.Helper()
	s, err := txscript.NullDataScript(data)
	if err != nil {
		tb.Fatalf("testnodes: null data script: %v", err)
	}
	return s
}

// BuildTx spends coins (which must pay to Address) to outs, adds a change
// output back to Address when the inputs exceed outs plus BtcdFee (last),
// and signs every input.
func (b *Btcd) BuildTx(tb testing.TB, coins []Coin, outs []*wire.TxOut) *wire.MsgTx {
	tb.Helper()
	tx := wire.NewMsgTx(2)
	prev := map[wire.OutPoint]*wire.TxOut{}
	var in, spent int64
	for _, c := range coins {
		tx.AddTxIn(wire.NewTxIn(&c.OutPoint, nil, nil))
		prev[c.OutPoint] = wire.NewTxOut(c.Value, c.PkScript)
		in += c.Value
	}
	for _, o := range outs {
		tx.AddTxOut(o)
		spent += o.Value
	}
	change := in - spent - BtcdFee
	if change < 0 {
		tb.Fatalf("testnodes: inputs %d < outputs %d + fee %d", in, spent, BtcdFee)
	}
	if change > 0 {
		script, _ := txscript.PayToAddrScript(b.Address)
		tx.AddTxOut(wire.NewTxOut(change, script))
	}
	hashes := txscript.NewTxSigHashes(tx, txscript.NewMultiPrevOutFetcher(prev))
	for i, c := range coins {
		w, err := txscript.WitnessSignature(tx, hashes, i, c.Value, c.PkScript,
			txscript.SigHashAll, b.Key, true)
		if err != nil {
			tb.Fatalf("testnodes: sign input %d: %v", i, err)
		}
		tx.TxIn[i].Witness = w
	}
	return tx
}

// SendTx submits tx to the node's mempool and returns its txid.
func (b *Btcd) SendTx(tb testing.TB, tx *wire.MsgTx) chainhash.Hash {
	tb.Helper()
	h, err := b.Client.SendRawTransaction(tx, true)
	if err != nil {
		tb.Fatalf("testnodes: btcd %s sendrawtransaction: %v", b.RPCHost, err)
	}
	return *h
}
