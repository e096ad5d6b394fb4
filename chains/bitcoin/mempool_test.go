package bitcoin

import (
	"testing"

	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// TestFollowerMempool: a transaction sent to a real btcd is delivered as
// Pending once, then Connected once when mined, and never Pending again.
func TestFollowerMempool(t *testing.T) {
	node := testnodes.StartBtcd(t)
	coins := node.MatureCoins(t, 2)
	scripts := node.Scripts(t)
	cfg := nodeConfig(t, node, openStore(t, t.TempDir()))
	cfg.Mempool = true
	r := startFollower(t, cfg, &recorder{})
	tip, _ := node.Tip(t)
	r.waitProcessed(t, tip.String())

	tx := node.BuildTx(t, coins[:1], []*wire.TxOut{wire.NewTxOut(1_234_567, scripts["p2wsh"].Script)})
	txid := node.SendTx(t, tx).String()
	pending := func() []chains.Event {
		return r.rec.find(func(ev chains.Event) bool { return ev.Type == chains.Pending && ev.Tx.Hash == txid })
	}
	r.waitFor(t, "pending "+txid, func() bool { return len(pending()) > 0 })
	p := pending()[0]
	if p.Tx.Index != -1 || len(p.Tx.Outputs) != 2 || p.Tx.Outputs[0].Value != 1_234_567 ||
		p.Tx.Outputs[0].Address != scripts["p2wsh"].Address || p.Ref.Number != 0 || p.Block != nil || p.Head != r.f.Status().Head {
		t.Fatalf("Pending event %+v tx %+v", p, p.Tx)
	}
	if p.Tx.Inputs[0].Prev != (chains.Outpoint{Tx: coins[0].OutPoint.Hash.String(), Index: coins[0].OutPoint.Index}) {
		t.Fatalf("Pending tx spends %v, want %v", p.Tx.Inputs[0].Prev, coins[0].OutPoint)
	}

	mined := node.Generate(t, 1)[0]
	r.waitProcessed(t, mined.String())
	// A second transaction after the block proves later mempool polls ran.
	tx2 := node.BuildTx(t, coins[1:2], []*wire.TxOut{wire.NewTxOut(55_555, scripts["p2pkh"].Script)})
	txid2 := node.SendTx(t, tx2).String()
	r.waitFor(t, "pending "+txid2, func() bool {
		return len(r.rec.find(func(ev chains.Event) bool { return ev.Type == chains.Pending && ev.Tx.Hash == txid2 })) > 0
	})
	next := node.Generate(t, 1)[0]
	r.waitProcessed(t, next.String())
	if n := len(pending()); n != 1 {
		t.Fatalf("%s reported Pending %d times, want once", txid, n)
	}
	var connected, order []string
	for _, ev := range r.rec.snapshot() {
		switch {
		case ev.Type == chains.Pending && ev.Tx.Hash == txid:
			order = append(order, "pending")
		case ev.Type == chains.Connected:
			for _, tx := range ev.Block.Txs {
				if tx.Hash == txid {
					connected = append(connected, ev.Ref.Hash)
					order = append(order, "connected")
				}
			}
		}
	}
	if len(connected) != 1 || connected[0] != mined.String() || order[0] != "pending" {
		t.Fatalf("tx %s: connected in %v, order %v; want once in %s after pending", txid, connected, order, mined)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.f.pending[txid]; ok { // Run has returned: its state is ours to read
		t.Fatalf("mined tx still remembered as pending")
	}
}
