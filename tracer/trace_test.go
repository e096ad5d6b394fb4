package tracer_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/ethereum"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/ethereum/go-ethereum/common"
)

func TestFormatUnits(t *testing.T) {
	for name, tc := range map[string]struct {
		x    string
		dec  uint8
		want string
	}{
		"whole ether":     {"50000000000000000000", 18, "50"},
		"fraction":        {"1500000000000000000", 18, "1.5"},
		"one wei":         {"1", 18, "0.000000000000000001"},
		"zero":            {"0", 18, "0"},
		"satoshi":         {"123456789", 8, "1.23456789"},
		"no decimals":     {"42", 0, "42"},
		"negative":        {"-250000000", 8, "-2.5"},
		"beyond uint64":   {"123456789012345678901234567890", 18, "123456789012.34567890123456789"},
		"trailing zeroes": {"100000000", 8, "1"},
	} {
		t.Run(name, func(t *testing.T) {
			x, _ := new(big.Int).SetString(tc.x, 10)
			if got := tracer.FormatUnits(x, tc.dec); got != tc.want {
				t.Fatalf("FormatUnits(%s, %d) = %q, want %q", tc.x, tc.dec, got, tc.want)
			}
		})
	}
}

func TestAmountJSON(t *testing.T) {
	x, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	b, err := json.Marshal(tracer.NewAmount(x))
	if err != nil || string(b) != `"123456789012345678901234567890"` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var a tracer.Amount
	if err := json.Unmarshal(b, &a); err != nil || a.Big().Cmp(x) != 0 {
		t.Fatalf("unmarshal: %v %v", a.String(), err)
	}
	if err := json.Unmarshal([]byte(`12`), &a); err == nil {
		t.Fatal("a JSON number was accepted as an amount")
	}
}

func TestDOTQuoting(t *testing.T) {
	g := &tracer.FlowGraph{Incident: "x", Chain: chains.Ethereum, Policy: watchlists.Haircut,
		Nodes: []tracer.FlowNode{{Chain: chains.Ethereum, Address: "a", Labels: []watchlists.Entry{{Kind: watchlists.Exchange, Label: `Evil "Ex"\change`}}}, {Chain: chains.Ethereum, Address: "b"}},
		Edges: []tracer.FlowEdge{{Tx: "0x01", From: "a", To: "b", Formatted: "1 ETH", Hop: 1}}}
	d := g.DOT()
	for _, want := range []string{`"a" [label="a\nexchange: Evil \"Ex\"\\change"`, `"a" -> "b" [label="hop 1: 1 ETH\ntx 0x01\nblock 0"`} {
		if !strings.Contains(d, want) {
			t.Fatalf("DOT lacks %s:\n%s", want, d)
		}
	}
}

// TheftScenario is a theft on a real geth --dev: 50 ETH from a victim to
// a thief, a split to three addresses (10, 15, 20 ETH) and 8 ETH from the
// first of them to an exchange.
type TheftScenario struct {
	Geth                    *testnodes.Geth
	Victim, Thief, Exchange common.Address
	Split                   [3]common.Address
	Theft, Deposit          string
	SplitTxs                [3]string
	StolenWei, DepositWei   *big.Int
	SplitWei                [3]*big.Int
}

func newTheft(t *testing.T) *TheftScenario {
	g := testnodes.StartGeth(t)
	th := g.PlayTheft(t)
	s := &TheftScenario{Geth: g, Victim: common.HexToAddress(th.Edges[0].From), Thief: common.HexToAddress(th.Edges[0].To),
		Exchange: th.Exchange, Theft: th.Tx, Deposit: th.Deposit, StolenWei: th.Edges[0].Wei, DepositWei: th.Edges[4].Wei}
	for i := range s.Split {
		e := th.Edges[1+i]
		s.Split[i], s.SplitTxs[i], s.SplitWei[i] = th.Split[i], e.Tx, e.Wei
	}
	return s
}

func (s *TheftScenario) follower(t *testing.T) *ethereum.Follower {
	store, err := pebble.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f, err := ethereum.New(ethereum.Config{Network: "dev", RPC: s.Geth.WS, Traces: ethereum.TracesOff, Checkpoints: store, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

type wantEdge struct {
	tx       string
	from, to common.Address
	wei      *big.Int
	hop      int
}

// TestTraceTxGeth: TraceTx on a real geth returns exactly the theft, the
// three split hops and the exchange deposit with exact amounts, the
// exchange finding, the taint still held, and a DOT with every edge.
func TestTraceTxGeth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth")
	}
	s := newTheft(t)
	f := s.follower(t)
	labels := labelMap{}
	labels.add(chains.Ethereum, strings.ToLower(s.Exchange.Hex()), watchlists.Exchange, "Dev Exchange")
	ctx := context.Background()
	var progress [][2]uint64
	g, err := tracer.TraceTx(ctx, tracer.TraceRequest{Chain: chains.Ethereum, Tx: s.Theft, Progress: func(at, to uint64) { progress = append(progress, [2]uint64{at, to}) }},
		tracer.TraceDeps{Source: f, Locator: f, Balances: f, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	// Progress is told each block replayed, in order, up to the last one.
	if n := len(progress); n == 0 || progress[0][0] != g.FromBlock || progress[n-1][0] != g.ToBlock || progress[n-1][1] < g.ToBlock || uint64(n) != g.ToBlock-g.FromBlock+1 {
		t.Fatalf("progress %v; want each block from %d to %d", progress, g.FromBlock, g.ToBlock)
	}
	want := []wantEdge{{s.Theft, s.Victim, s.Thief, s.StolenWei, 1}}
	for i := range s.Split {
		want = append(want, wantEdge{s.SplitTxs[i], s.Thief, s.Split[i], s.SplitWei[i], 2})
	}
	want = append(want, wantEdge{s.Deposit, s.Split[0], s.Exchange, s.DepositWei, 3})
	if len(g.Edges) != len(want) {
		t.Fatalf("%d edges, want %d: %+v", len(g.Edges), len(want), g.Edges)
	}
	for i, w := range want {
		e := g.Edges[i]
		if e.Tx != w.tx || e.From != w.from.Hex() || e.To != w.to.Hex() || e.Amount.Big().Cmp(w.wei) != 0 || e.Hop != w.hop || e.Asset != chains.ETH {
			t.Fatalf("edge %d: %+v (amount %s), want %+v", i, e, e.Amount, w)
		}
	}
	if len(g.Findings) != 1 {
		t.Fatalf("findings: %+v", g.Findings)
	}
	fd := g.Findings[0]
	if fd.Type != tracer.ExchangeDeposit || fd.Tx != s.Deposit || fd.Tainted.Big().Cmp(s.DepositWei) != 0 || fd.Hops != 3 || fd.Label == nil || fd.Label.Label != "Dev Exchange" || fd.To != s.Exchange.Hex() {
		t.Fatalf("finding: %+v", fd)
	}
	if len(g.Stolen) != 1 || g.Stolen[0].Amount.Big().Cmp(s.StolenWei) != 0 || g.Stolen[0].Formatted != "50 ETH" {
		t.Fatalf("stolen: %+v", g.Stolen)
	}
	nodes := map[string]tracer.FlowNode{}
	for _, n := range g.Nodes {
		nodes[n.Address] = n
	}
	if n := nodes[s.Split[2].Hex()]; len(n.Held) != 1 || n.Held[0].Amount.Big().Cmp(s.SplitWei[2]) != 0 {
		t.Fatalf("split 3 holds %+v, want 20 ETH", n.Held)
	}
	if n := nodes[s.Exchange.Hex()]; len(n.Labels) != 1 || len(n.Parked) != 1 || n.Parked[0].Formatted != "8 ETH" {
		t.Fatalf("exchange node: %+v", n)
	}
	dot := g.DOT()
	for _, w := range want {
		edge := `"` + w.from.Hex() + `" -> "` + w.to.Hex() + `" [label="hop ` + big.NewInt(int64(w.hop)).String() + ": " + tracer.FormatUnits(w.wei, 18) + ` ETH\ntx `
		if !strings.Contains(dot, edge) {
			t.Fatalf("DOT lacks %s:\n%s", edge, dot)
		}
	}
	if !strings.Contains(dot, `exchange: Dev Exchange`) {
		t.Fatalf("DOT lacks the exchange label:\n%s", dot)
	}

	t.Run("hops cut the graph", func(t *testing.T) {
		g, err := tracer.TraceTx(ctx, tracer.TraceRequest{Chain: chains.Ethereum, Tx: s.Theft, Hops: 2}, tracer.TraceDeps{Source: f, Locator: f, Balances: f, Labels: labels})
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Edges) != 4 || len(g.Findings) != 0 {
			t.Fatalf("with 2 hops: %d edges, %d findings", len(g.Edges), len(g.Findings))
		}
	})
	t.Run("blocks bound the replay", func(t *testing.T) {
		g, err := tracer.TraceTx(ctx, tracer.TraceRequest{Chain: chains.Ethereum, Tx: s.Theft, Blocks: 1}, tracer.TraceDeps{Source: f, Locator: f, Balances: f, Labels: labels})
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Edges) != 1 || g.ToBlock != g.FromBlock {
			t.Fatalf("one block: %d edges, blocks %d..%d", len(g.Edges), g.FromBlock, g.ToBlock)
		}
	})
	t.Run("unknown tx", func(t *testing.T) {
		_, err := tracer.TraceTx(ctx, tracer.TraceRequest{Chain: chains.Ethereum, Tx: "0x" + strings.Repeat("ab", 32)}, tracer.TraceDeps{Source: f, Locator: f, Balances: f})
		if !errors.Is(err, tracer.ErrTxNotFound) {
			t.Fatalf("unknown tx: %v", err)
		}
	})
}
