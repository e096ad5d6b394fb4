package tracer_test

import (
	"context"
	"math/big"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// balances is a BalanceReader over fixed balances at block 1.
type balances map[string]int64

func (b balances) BalanceAt(_ context.Context, addr string, _ chains.Asset, _ uint64) (*big.Int, error) {
	return big.NewInt(b[addr]), nil
}

type learnLog []tracer.Learned

func (l *learnLog) Learn(_ context.Context, x tracer.Learned) error {
	*l = append(*l, x)
	return nil
}

// TestLearnsSweeps: an address that sends its whole balance, short by at
// most its gas, to a trusted exchange entry is learned as that exchange's
// deposit address; one that keeps more, one that is labelled already, and
// one whose transfer another address sent are not; an untrusted exchange
// entry teaches nothing.
func TestLearnsSweeps(t *testing.T) {
	labels := labelMap{}
	labels.add(chains.Ethereum, "0xhot", watchlists.Exchange, "Hot")
	labels.add(chains.Ethereum, "0xknown", watchlists.Treasury, "Known")
	labels["ethereum|0xtenanthot"] = watchlists.Entry{Chain: chains.Ethereum, Address: "0xtenanthot", Kind: watchlists.Exchange, Label: "Own", Owner: "x", Untrusted: true}
	learned := &learnLog{}
	e, err := tracer.New(tracer.Config{}, tracer.Deps{Labels: labels, Learner: learned,
		Balances: balances{"0xdep": 1000, "0xkeeps": 1000, "0xknown": 1000, "0xdep2": 1000}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	b := ethBlock(2, "",
		[]xf{{"0xdep", "0xhot", 990, false}, {"0xdep", "", 7, true}},         // 3 left, gas 7: a sweep
		[]xf{{"0xkeeps", "0xhot", 900, false}, {"0xkeeps", "", 7, true}},     // keeps 93
		[]xf{{"0xknown", "0xhot", 993, false}, {"0xknown", "", 7, true}},     // labelled already
		[]xf{{"0xdep2", "0xtenanthot", 993, false}, {"0xdep2", "", 7, true}}, // untrusted entry
	)
	connect(t, e, b)
	if len(*learned) != 1 {
		t.Fatalf("learned %+v, want 0xdep alone", *learned)
	}
	l := (*learned)[0]
	if l.Address != "0xdep" || l.Exchange.Address != "0xhot" || l.Tx != b.Txs[0].Hash || l.Block != 2 || l.Confidence <= 0 || l.Confidence > 1 {
		t.Fatalf("learned %+v", l)
	}
}

// TestLearnsBitcoinSweeps (Victor, FC 2020, on the UTXO model): a
// transaction paying all its outputs' value to a trusted exchange hot
// wallet, nothing back to its inputs, teaches its unlabelled input
// addresses as that exchange's deposit addresses — one address alone (a
// sweep, 0.9) or many (a consolidation, 0.85). Change back to an input,
// a share paid elsewhere, a labelled input and an untrusted hot wallet do
// not.
func TestLearnsBitcoinSweeps(t *testing.T) {
	labels := labelMap{}
	labels.add(chains.Bitcoin, "hot", watchlists.Exchange, "Hot")
	labels.add(chains.Bitcoin, "known", watchlists.Treasury, "Known")
	labels["bitcoin|tenanthot"] = watchlists.Entry{Chain: chains.Bitcoin, Address: "tenanthot", Kind: watchlists.Exchange, Label: "Own", Owner: "x", Untrusted: true}
	prev := prevoutMap{}
	for _, c := range []struct {
		tx, addr string
		v        int
	}{{"f0", "dep", 50_000}, {"f1", "c1", 20_000}, {"f2", "c2", 30_000}, {"f3", "c3", 40_000}, {"f4", "chg", 50_000},
		{"f5", "part", 50_000}, {"f6", "known", 50_000}, {"f7", "c4", 50_000}, {"f8", "own", 50_000}} {
		prev[op(c.tx, 0)] = chains.Output{Index: 0, Value: int64(c.v), Address: c.addr, Class: chains.P2WPKH}
	}
	learned := &learnLog{}
	e, err := tracer.New(tracer.Config{}, tracer.Deps{Labels: labels, Learner: learned, Prevouts: prev})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	b := btcBlock(5, "",
		utx{ins: []chains.Outpoint{op("f0", 0)}, outs: outs("hot", 49_000)},                           // a sweep
		utx{ins: []chains.Outpoint{op("f1", 0), op("f2", 0), op("f3", 0)}, outs: outs("hot", 88_000)}, // a consolidation
		utx{ins: []chains.Outpoint{op("f4", 0)}, outs: outs("hot", 30_000, "chg", 19_000)},            // change back
		utx{ins: []chains.Outpoint{op("f5", 0)}, outs: outs("hot", 40_000, "elsewhere", 9_000)},       // a share elsewhere
		utx{ins: []chains.Outpoint{op("f6", 0), op("f7", 0)}, outs: outs("hot", 99_000)},              // labelled input: c4 alone
		utx{ins: []chains.Outpoint{op("f8", 0)}, outs: outs("tenanthot", 49_000)},                     // untrusted entry
	)
	connect(t, e, b)
	got := map[string]float64{}
	for _, l := range *learned {
		if l.Chain != chains.Bitcoin || l.Exchange.Address != "hot" || l.Block != 5 || l.BlockHash != b.Ref.Hash {
			t.Fatalf("learned %+v", l)
		}
		got[l.Address] = l.Confidence
	}
	want := map[string]float64{"dep": 0.9, "c1": 0.85, "c2": 0.85, "c3": 0.85, "c4": 0.85}
	if len(got) != len(want) {
		t.Fatalf("learned %v, want %v", got, want)
	}
	for a, c := range want {
		if got[a] != c {
			t.Fatalf("learned %v, want %v", got, want)
		}
	}
	for _, l := range *learned {
		if l.Address == "dep" && l.Tx != b.Txs[0].Hash {
			t.Fatalf("dep's evidence %s, want the sweep %s", l.Tx, b.Txs[0].Hash)
		}
	}
}

// TestTaintedSweepTeachesNothing: a thief emptying its tainted address
// into an exchange looks like a sweep, but a transaction that carries
// taint teaches nothing — the thief's address must not become a service
// where tracking stops; and an address paying all it has into a learned
// deposit address (not a hot wallet) is not learned either.
func TestTaintedSweepTeachesNothing(t *testing.T) {
	labels := labelMap{}
	labels.add(chains.Ethereum, "0xhot", watchlists.Exchange, "Hot")
	labels["ethereum|0xlearned"] = watchlists.Entry{Chain: chains.Ethereum, Address: "0xlearned", Kind: watchlists.Exchange, Label: "Hot deposit (learned)",
		Source: tracer.LearnedSourcePrefix + " swept all it held to 0xhot"}
	learned := &learnLog{}
	e, err := tracer.New(tracer.Config{}, tracer.Deps{Labels: labels, Learner: learned,
		Balances: balances{"0xvictim": 5000, "0xthief": 2000, "0xuser": 500}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	open(t, e, watchlists.Incident{ID: "inc", Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}})
	connect(t, e, ethBlock(1, "", []xf{{"0xvictim", "0xthief", 1000, false}}))
	connect(t, e, ethBlock(2, "",
		[]xf{{"0xthief", "0xhot", 1993, false}, {"0xthief", "", 7, true}},  // all it holds, tainted
		[]xf{{"0xuser", "0xlearned", 493, false}, {"0xuser", "", 7, true}}, // into a learned deposit address
	))
	if len(*learned) != 0 {
		t.Fatalf("learned %+v; want nothing", *learned)
	}
}
