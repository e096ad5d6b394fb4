package tracer

import (
	"math/big"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

// TestTinySharesPrintPlainly: a share of 4.3e-57 (a dust piece of a huge
// theft) is "<0.01%" in a table, never in exponent notation (in an
// alert's JSON it is 0.000001: cmd/chainhound's test of the same name).
func TestTinySharesPrintPlainly(t *testing.T) {
	if got := percent(4.3e-57); got != "<0.01%" {
		t.Errorf("percent(4.3e-57) = %q", got)
	}
	if got := percent(0.25); got != "25.00%" {
		t.Errorf("percent(0.25) = %q", got)
	}
	if got := percent(0); got != "-" {
		t.Errorf("percent(0) = %q", got)
	}
}

// TestWriteTable: the table names the traced transaction, the stolen
// amount, every hop with its receiver's label, the findings and what is
// still held; a graph with nothing held says so.
func TestWriteTable(t *testing.T) {
	amt := func(v int64) *Amount { return (*Amount)(big.NewInt(v)) }
	g := &FlowGraph{
		Chain: chains.Ethereum, Tx: "0xtheft", Policy: watchlists.Haircut, MaxHops: 3, FromBlock: 10, ToBlock: 20,
		Stolen: []AssetAmount{{Asset: chains.ETH, Formatted: "5 ETH"}},
		Nodes: []FlowNode{
			{Chain: chains.Ethereum, Address: "0xthief", Held: []AssetAmount{{Asset: chains.ETH, Formatted: "1 ETH"}}},
			{Chain: chains.Ethereum, Address: "0xexchange", Labels: []watchlists.Entry{{Kind: watchlists.Exchange, Label: "Dev\x1bExchange"}}},
		},
		Edges: []FlowEdge{
			{Tx: "0xtheft", Block: 10, From: "0xvictim", To: "0xthief", Amount: amt(5), Formatted: "5 ETH", Hop: 1},
			{Tx: "0xdep", Block: 12, From: "0xthief", To: "0xexchange", Amount: amt(4), Formatted: "4 ETH", Hop: 2},
		},
		Findings: []FlowFinding{{Type: ExchangeDeposit, Tx: "0xdep", Block: 12, To: "0xexchange", Formatted: "4 ETH", Share: 0.8, Hops: 2}},
	}
	var b strings.Builder
	if err := g.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"ethereum tx 0xtheft: haircut, max 3 hops, blocks 10..20\nstolen: 5 ETH\n",
		"HOP", "0xdep", "exchange: Dev", "80.00%", "findings:", "still held:", "0xthief", "1 ETH",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("table prints a control character:\n%q", out)
	}
	g.Nodes[0].Held = nil
	b.Reset()
	if err := g.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "(none tracked)") {
		t.Errorf("nothing held, table says:\n%s", b.String())
	}
}

// TestWriteFormats: Write is JSON (indented), DOT or the table.
func TestWriteFormats(t *testing.T) {
	g := &FlowGraph{Chain: chains.Bitcoin, Tx: "ab", Policy: watchlists.Poison, MaxHops: 1}
	for format, want := range map[string]string{"json": "{\n  \"incident\": \"\",\n  \"chain\": \"bitcoin\"", "dot": "digraph ", "table": "bitcoin tx ab: poison"} {
		var b strings.Builder
		if err := g.Write(&b, format); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(b.String(), want) {
			t.Errorf("%s: %q, want it to start with %q", format, b.String(), want)
		}
	}
}
