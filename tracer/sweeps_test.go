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
