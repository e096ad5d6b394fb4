package tracer_test

import (
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// TestEngineFlow: an incident's flow graph from a long-running engine,
// after the journals of its blocks were pruned: the hops still come from
// the provenance of what is held and parked, with exact amounts, and each
// node says what it holds or received.
func TestEngineFlow(t *testing.T) {
	labels := labelMap{}
	labels.add(chains.Ethereum, "0xex", watchlists.Exchange, "Binance 14")
	e, err := tracer.New(tracer.Config{FinalityDepth: map[chains.Chain]int{chains.Ethereum: 1}}, tracer.Deps{Labels: labels, Sink: &findingLog{}, Balances: balanceMap{"0xb": 1000}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	open(t, e, watchlists.Incident{ID: "inc_1", Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}})
	connect(t, e, ethBlock(1, "", []xf{{"0xv", "0xa", 4000, false}}))
	connect(t, e, ethBlock(2, "", []xf{{"0xa", "0xb", 3000, false}}))
	connect(t, e, ethBlock(3, "", []xf{{"0xb", "0xex", 2000, false}}))
	for i := uint64(4); i < 8; i++ {
		connect(t, e, ethBlock(i, ""))
	}
	if _, ok := e.Flow("inc_nope"); ok {
		t.Fatal("flow of an unknown incident")
	}
	g, ok := e.Flow("inc_1")
	if !ok {
		t.Fatal("no flow")
	}
	want := []struct {
		tx, from, to string
		amt          int64
		hop          int
	}{{"0x1-0", "0xv", "0xa", 4000, 1}, {"0x2-0", "0xa", "0xb", 3000, 2}, {"0x3-0", "0xb", "0xex", 1500, 3}}
	if len(g.Edges) != len(want) {
		t.Fatalf("%d edges: %+v", len(g.Edges), g.Edges)
	}
	for i, w := range want {
		ed := g.Edges[i]
		if ed.Tx != w.tx || ed.From != w.from || ed.To != w.to || ed.Amount.Big().Int64() != w.amt || ed.Hop != w.hop || ed.Asset != chains.ETH || ed.Block != uint64(i+1) {
			t.Fatalf("edge %d: %+v (amount %s), want %+v", i, ed, ed.Amount, w)
		}
	}
	nodes := map[string]tracer.FlowNode{}
	for _, n := range g.Nodes {
		nodes[n.Address] = n
	}
	if n := nodes["0xa"]; len(n.Held) != 1 || n.Held[0].Amount.Big().Int64() != 1000 {
		t.Fatalf("0xa: %+v", n)
	}
	if n := nodes["0xb"]; len(n.Held) != 1 || n.Held[0].Amount.Big().Int64() != 1500 {
		t.Fatalf("0xb: %+v", n)
	}
	if n := nodes["0xex"]; len(n.Held) != 0 || len(n.Parked) != 1 || n.Parked[0].Amount.Big().Int64() != 1500 || len(n.Labels) != 1 {
		t.Fatalf("0xex: %+v", n)
	}
	if len(g.Stolen) != 1 || g.Stolen[0].Amount.Big().Int64() != 4000 || g.Stolen[0].Formatted != "0.000000000000004 ETH" {
		t.Fatalf("stolen: %+v", g.Stolen)
	}
}
