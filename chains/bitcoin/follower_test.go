package bitcoin

import (
	"bytes"
	"context"
	"encoding/hex"
	"reflect"
	"testing"

	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// TestFollowerDeliversEveryOutputKind follows a real btcd regtest node:
// three transactions (one paying to every standard output kind with
// change, one with two inputs and change, one with an OP_RETURN memo) are
// mined into one block, and every input, output, value and address the
// follower delivers is checked against what the harness built.
func TestFollowerDeliversEveryOutputKind(t *testing.T) {
	node := testnodes.StartBtcd(t)
	coins := node.MatureCoins(t, 4)
	scripts := node.Scripts(t)
	kinds := []string{"p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "p2a"}
	var outs []*wire.TxOut
	for i, k := range kinds {
		outs = append(outs, wire.NewTxOut(int64(100_000*(i+1)), scripts[k].Script))
	}
	every := node.BuildTx(t, coins[:1], outs)
	multi := node.BuildTx(t, coins[1:3], []*wire.TxOut{wire.NewTxOut(7_000_000_000, scripts["p2tr"].Script)})
	memoData := []byte("=:ETH.ETH:0x6b175474e89094c44da98b954eedeac495271d0f")
	memo := node.BuildTx(t, coins[3:4], []*wire.TxOut{wire.NewTxOut(0, testnodes.NullData(t, memoData))})

	store := openStore(t, t.TempDir())
	cfg := nodeConfig(t, node, store)
	cfg.Confirmations = 2
	r := startFollower(t, cfg, &recorder{})
	tipHash, _ := node.Tip(t)
	r.waitProcessed(t, tipHash.String())

	for _, tx := range []*wire.MsgTx{every, multi, memo} {
		node.SendTx(t, tx)
	}
	mined := node.Generate(t, 1)[0]
	r.waitProcessed(t, mined.String())

	got := r.rec.Find(func(ev chains.Event) bool { return ev.Type == chains.Connected && ev.Ref.Hash == mined.String() })
	if len(got) != 1 {
		t.Fatalf("block %s connected %d times, want once", mined, len(got))
	}
	b := got[0].Block
	if len(b.Txs) != 4 {
		t.Fatalf("block has %d txs, want coinbase + 3", len(b.Txs))
	}
	if b.Chain != chains.Bitcoin || b.Ref.Parent != tipHash.String() || got[0].Head != b.Ref.Number {
		t.Fatalf("block %+v head %d, want parent %s and head = its height", b.Ref, got[0].Head, tipHash)
	}

	// Coinbase: subsidy plus the three fees to the mining address, then the
	// witness commitment.
	cb := b.Txs[0]
	if len(cb.Inputs) != 1 || !cb.Inputs[0].Coinbase {
		t.Fatalf("coinbase inputs %+v", cb.Inputs)
	}
	if o := cb.Outputs[0]; o.Value != int64(50e8)+3*testnodes.BtcdFee || o.Address != node.Address.EncodeAddress() || o.Class != chains.P2WPKH {
		t.Fatalf("coinbase output %+v, want %d to %s", o, int64(50e8)+3*testnodes.BtcdFee, node.Address)
	}

	change := node.Address.EncodeAddress()
	want := map[string][]chains.Output{}
	wantOut := func(tx *wire.MsgTx) []chains.Output {
		var res []chains.Output
		for i, o := range tx.TxOut {
			res = append(res, chains.Output{Index: uint32(i), Value: o.Value})
		}
		return res
	}
	w := wantOut(every)
	for i, k := range kinds {
		w[i].Address, w[i].Class = scripts[k].Address, chains.ScriptClass(k)
	}
	w[6].Address, w[6].Class = change, chains.P2WPKH
	if w[6].Value != coins[0].Value-21*100_000-testnodes.BtcdFee {
		t.Fatalf("harness change %d", w[6].Value)
	}
	want[every.TxHash().String()] = w
	w = wantOut(multi)
	w[0].Address, w[0].Class = scripts["p2tr"].Address, chains.P2TR
	w[1].Address, w[1].Class = change, chains.P2WPKH
	want[multi.TxHash().String()] = w
	w = wantOut(memo)
	w[0].Address, w[0].Class, w[0].Data = "op_return:"+hex.EncodeToString(memoData), chains.NullData, memoData
	w[1].Address, w[1].Class = change, chains.P2WPKH
	want[memo.TxHash().String()] = w

	built := map[string]*wire.MsgTx{every.TxHash().String(): every, multi.TxHash().String(): multi, memo.TxHash().String(): memo}
	for i, tx := range b.Txs[1:] {
		mt, ok := built[tx.Hash]
		if !ok || tx.Index != i+1 {
			t.Fatalf("unexpected tx %s at %d", tx.Hash, tx.Index)
		}
		outs := append([]chains.Output(nil), tx.Outputs...)
		for j := range outs {
			if !bytes.Equal(outs[j].Script, mt.TxOut[j].PkScript) {
				t.Errorf("tx %s output %d script %x, want %x", tx.Hash, j, outs[j].Script, mt.TxOut[j].PkScript)
			}
			outs[j].Script = nil
		}
		if !reflect.DeepEqual(outs, want[tx.Hash]) {
			t.Errorf("tx %s outputs\n got %+v\nwant %+v", tx.Hash, tx.Outputs, want[tx.Hash])
		}
		if len(tx.Inputs) != len(mt.TxIn) {
			t.Fatalf("tx %s has %d inputs, want %d", tx.Hash, len(tx.Inputs), len(mt.TxIn))
		}
		for j, in := range tx.Inputs {
			op := mt.TxIn[j].PreviousOutPoint
			// Harness coins are P2WPKH: the witness reveals the address.
			if in.Prev != (chains.Outpoint{Tx: op.Hash.String(), Index: op.Index}) || in.Address != change || in.Resolved || in.Value != 0 || in.Coinbase {
				t.Errorf("tx %s input %d = %+v, want unresolved %s from %s", tx.Hash, j, in, op, change)
			}
		}
	}

	// Prevouts resolve what the multi-input transaction spent.
	ops := []chains.Outpoint{{Tx: coins[1].OutPoint.Hash.String(), Index: coins[1].OutPoint.Index},
		{Tx: every.TxHash().String(), Index: 4}}
	ctx := context.Background()
	pv, err := r.f.Prevouts(ctx, ops)
	if err != nil {
		t.Fatal(err)
	}
	if r.f.node.noBatch.Load() {
		t.Fatal("btcd refused the JSON-RPC batch of two getrawtransaction calls")
	}
	if pv[0].Value != coins[1].Value || pv[0].Address != change || pv[1].Value != 500_000 || pv[1].Address != scripts["p2tr"].Address {
		t.Fatalf("Prevouts = %+v", pv)
	}
	if _, err := r.f.Prevouts(ctx, []chains.Outpoint{{Tx: every.TxHash().String(), Index: 99}}); err == nil {
		t.Fatal("Prevouts of a missing output index: no error")
	}
	if r.f.txs.len() != 2 {
		t.Fatalf("prevout cache holds %d transactions, want 2", r.f.txs.len())
	}

	// TxLocator, BlockSource.
	ref, err := r.f.TxBlock(ctx, memo.TxHash().String())
	if err != nil || ref.Hash != mined.String() || ref.Number != b.Ref.Number {
		t.Fatalf("TxBlock = %v, %v; want %s", ref, err, b.Ref)
	}
	again, err := r.f.BlockByNumber(ctx, b.Ref.Number)
	if err == nil {
		again.DeriveAddresses()
		x, y := *again, *b
		x.Addresser, y.Addresser = nil, nil // their memo of the last input differs
		again, b = &x, &y
	}
	if err != nil || !reflect.DeepEqual(again, b) {
		t.Fatalf("BlockByNumber(%d) differs from the delivered block (err %v)", b.Ref.Number, err)
	}
	if head, err := r.f.HeadNumber(ctx); err != nil || head != b.Ref.Number {
		t.Fatalf("HeadNumber = %d, %v; want %d", head, err, b.Ref.Number)
	}

	// Confirmed at depth 2: one more block confirms the mined one, once.
	next := node.Generate(t, 1)[0]
	r.waitProcessed(t, next.String())
	r.waitFor(t, "confirmation", func() bool {
		return len(r.rec.Find(func(ev chains.Event) bool { return ev.Type == chains.Confirmed && ev.Ref.Hash == mined.String() })) > 0
	})
	conf := r.rec.Find(func(ev chains.Event) bool { return ev.Type == chains.Confirmed && ev.Ref.Hash == mined.String() })
	if len(conf) != 1 || conf[0].Head != b.Ref.Number+1 || conf[0].Chain != chains.Bitcoin {
		t.Fatalf("Confirmed events for %s: %+v", mined, conf)
	}
	if c := r.rec.Find(func(ev chains.Event) bool { return ev.Type == chains.Confirmed && ev.Ref.Hash == next.String() }); len(c) != 0 {
		t.Fatalf("block at depth 1 confirmed with confirmations 2")
	}
	st := r.f.Status()
	if st.Network != "regtest" || st.Processed != b.Ref.Number+1 || st.Head != b.Ref.Number+1 || !st.Connected || st.LastBlockTime.IsZero() {
		t.Fatalf("Status = %+v", st)
	}
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
}
