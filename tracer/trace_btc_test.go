package tracer_test

import (
	"context"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/bitcoin"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// TestTraceTxBtcd: TraceTx on a real btcd (regtest): a theft paying three
// addresses (one an exchange) with change back to the victim gives one
// edge per stolen output with its exact value in satoshi, the exchange
// deposit, and the other two outputs' taint held at their addresses.
func TestTraceTxBtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts btcd")
	}
	node := testnodes.StartBtcd(t)
	coin := node.MatureCoins(t, 1)[0]
	scripts := node.Scripts(t)
	values := map[string]int64{"p2pkh": 100_000_000, "p2tr": 200_000_000, "p2wsh": 300_000_000}
	kinds := []string{"p2pkh", "p2tr", "p2wsh"}
	var outs []*wire.TxOut
	for _, k := range kinds {
		outs = append(outs, wire.NewTxOut(values[k], scripts[k].Script))
	}
	theft := node.BuildTx(t, []testnodes.Coin{coin}, outs)
	txid := node.SendTx(t, theft).String()
	node.Generate(t, 2)

	store, err := pebble.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	f, err := bitcoin.New(bitcoin.Config{Network: "regtest", RPC: node.URL(), RPCUser: node.User, RPCPassword: node.Pass, Checkpoints: store, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	exchange := scripts["p2wsh"].Address
	labels := labelMap{}
	labels.add(chains.Bitcoin, exchange, watchlists.Exchange, "Regtest Exchange")
	g, err := tracer.TraceTx(context.Background(), tracer.TraceRequest{Chain: chains.Bitcoin, Tx: txid}, tracer.TraceDeps{Source: f, Locator: f, Prevouts: f, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Edges) != len(kinds) {
		t.Fatalf("%d edges, want %d: %+v", len(g.Edges), len(kinds), g.Edges)
	}
	for i, k := range kinds {
		e := g.Edges[i]
		if e.Tx != txid || e.From != node.Address.EncodeAddress() || e.To != scripts[k].Address || e.Amount.Big().Int64() != values[k] || e.Hop != 1 || e.Asset != chains.BTC {
			t.Fatalf("edge %d: %+v (amount %s), want %s to %s", i, e, e.Amount, scripts[k].Address, tracer.FormatUnits(e.Amount.Big(), 8))
		}
	}
	if g.Edges[2].Formatted != "3 BTC" {
		t.Fatalf("formatted %q", g.Edges[2].Formatted)
	}
	if len(g.Findings) != 1 || g.Findings[0].Type != tracer.ExchangeDeposit || g.Findings[0].To != exchange || g.Findings[0].Tainted.Big().Int64() != values["p2wsh"] {
		t.Fatalf("findings: %+v", g.Findings)
	}
	nodes := map[string]tracer.FlowNode{}
	for _, n := range g.Nodes {
		nodes[n.Address] = n
	}
	for _, k := range []string{"p2pkh", "p2tr"} {
		if n := nodes[scripts[k].Address]; len(n.Held) != 1 || n.Held[0].Amount.Big().Int64() != values[k] {
			t.Fatalf("%s holds %+v, want %d sat", k, n.Held, values[k])
		}
	}
	if len(g.Stolen) != 1 || g.Stolen[0].Amount.Big().Int64() != 600_000_000 {
		t.Fatalf("stolen %+v", g.Stolen)
	}
}
