package testnodes

import (
	"testing"

	"github.com/btcsuite/btcd/wire/v2"
)

// TestBtcdSpendsEveryOutputKind mines to the test key, matures two coinbase
// outputs, spends them to every standard output kind plus an OP_RETURN
// memo, and checks the node mined exactly that transaction.
func TestBtcdSpendsEveryOutputKind(t *testing.T) {
	if testing.Short() {
		t.Skip("starts btcd")
	}
	node := StartBtcd(t)
	coins := node.MatureCoins(t, 2)
	if len(coins) != 2 || coins[0].OutPoint == coins[1].OutPoint {
		t.Fatalf("MatureCoins = %v, want 2 distinct coins", coins)
	}
	var outs []*wire.TxOut
	scripts := node.Scripts(t)
	for _, k := range []string{"p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr", "p2a"} {
		s, ok := scripts[k]
		if !ok || s.Address == "" {
			t.Fatalf("Scripts()[%q] missing", k)
		}
		outs = append(outs, wire.NewTxOut(100_000, s.Script))
	}
	outs = append(outs, wire.NewTxOut(0, NullData(t, []byte("=:ETH.ETH:0xabc"))))
	tx := node.BuildTx(t, coins, outs)
	txid := node.SendTx(t, tx)
	if txid != tx.TxHash() {
		t.Fatalf("node txid %s, built %s", txid, tx.TxHash())
	}
	hs := node.Generate(t, 1)
	blk, err := node.Client.GetBlock(&hs[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(blk.Transactions) != 2 || blk.Transactions[1].TxHash() != txid {
		t.Fatalf("mined block has %d txs, want coinbase + %s", len(blk.Transactions), txid)
	}
	if got := len(blk.Transactions[1].TxOut); got != len(outs)+1 {
		t.Fatalf("mined tx has %d outputs, want %d (with change)", got, len(outs)+1)
	}
	if scripts["p2a"].Address != "bcrt1pfeesnyr2tx" {
		t.Fatalf("regtest P2A address %q", scripts["p2a"].Address)
	}
}

// TestBtcdBranchesAndConnect: two nodes kept apart mine their own branches;
// once connected, both follow the longer one.
func TestBtcdBranchesAndConnect(t *testing.T) {
	if testing.Short() {
		t.Skip("starts btcd")
	}
	a, b := StartBtcd(t), StartBtcd(t)
	a.Generate(t, 2)
	a.Connect(t, b)
	a.Disconnect(t, b)
	a.Generate(t, 1)
	long := b.Generate(t, 3)
	ta, ha := a.Tip(t)
	tb, hb := b.Tip(t)
	if ta == tb || ha != 3 || hb != 5 {
		t.Fatalf("apart: a at %d/%s, b at %d/%s; want 3 and 5 on different branches", ha, ta, hb, tb)
	}
	b.Connect(t, a)
	if tip, h := a.Tip(t); tip != long[2] || h != 5 {
		t.Fatalf("after connect a is at %d/%s, want b's %s", h, tip, long[2])
	}
}
