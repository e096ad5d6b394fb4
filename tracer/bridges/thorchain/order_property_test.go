package thorchain_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
	"github.com/chainhound/chainhound/tracer/tracertest"
	"github.com/chainhound/chainhound/watchlists"
)

// swapWorld is a random laundering through THORChain: ETH stolen, swapped
// to BTC in several swaps spread over Ethereum blocks, paid out over
// Bitcoin blocks, and each payout's output deposited at an exchange in a
// later Bitcoin block. Each chain's blocks are in order; how the two
// interleave is up to the test.
type swapWorld struct {
	eb, bb []*chains.Block
	p      prevouts
	swaps  int
}

func newSwapWorld(seed int64) swapWorld {
	rng := rand.New(rand.NewSource(seed))
	w := swapWorld{p: prevouts{}}
	const nb = 6
	nswaps := 1 + rng.Intn(3)
	w.swaps = nswaps
	etx := make([][]chains.Tx, nb+1)
	btx := make([][]chains.Tx, nb+1)
	etx[1] = append(etx[1], chains.Tx{Hash: "0x" + strings.Repeat("11", 32), From: victim, Transfers: []chains.Transfer{eth(victim, thief, 9e18)}})
	coin := strings.Repeat("b0", 32)
	var coinOuts []chains.Output
	for i := 0; i < nswaps; i++ {
		coinOuts = append(coinOuts, chains.Output{Index: uint32(i), Value: 5_000_000, Address: btcVault, Class: chains.P2WPKH})
	}
	btx[1] = append(btx[1], chains.Tx{Hash: coin, Outputs: coinOuts})
	for i := 0; i < nswaps; i++ {
		dest := fmt.Sprintf("bc1qdest%d", i)
		swap := fmt.Sprintf("0x%02x%s", 0xa0+i, strings.Repeat("ab", 31))
		amt := int64(1+rng.Intn(3)) * 1e18
		eh := 2 + rng.Intn(nb-1)
		etx[eh] = append(etx[eh], chains.Tx{Hash: swap, From: thief,
			Transfers: []chains.Transfer{eth(thief, router, amt), {Kind: chains.Internal, From: router, To: vault, Asset: chains.ETH, Amount: big.NewInt(amt)}},
			Logs:      []chains.Log{thorchain.DepositLog(router, vault, thorchain.NativeAsset, big.NewInt(amt), "=:b:"+dest+":0/1/0")}})
		out := fmt.Sprintf("%02x%s", 0xc0+i, strings.Repeat("c2", 31))
		memo := "OUT:" + thorchain.NormaliseTxID(swap)
		bh := 2 + rng.Intn(nb-2) // the payout, then its spend in a later block
		value := int64(30_000 + 10_000*rng.Intn(5))
		btx[bh] = append(btx[bh], chains.Tx{Hash: out,
			Inputs: []chains.Input{{Prev: chains.Outpoint{Tx: coin, Index: uint32(i)}}},
			Outputs: []chains.Output{
				{Index: 0, Value: value, Address: dest, Class: chains.P2WPKH},
				{Index: 1, Value: 4_900_000, Address: btcVault, Class: chains.P2WPKH},
				{Index: 2, Address: "op_return:" + hex.EncodeToString([]byte(memo)), Class: chains.NullData},
			}})
		sh := bh + 1 + rng.Intn(nb-bh)
		btx[sh] = append(btx[sh], chains.Tx{Hash: fmt.Sprintf("%02x%s", 0xd0+i, strings.Repeat("c3", 31)),
			Inputs:  []chains.Input{{Prev: chains.Outpoint{Tx: out, Index: 0}}},
			Outputs: []chains.Output{{Index: 0, Value: value - 1_000, Address: btcEx, Class: chains.P2WPKH}}})
	}
	for h := uint64(1); h <= nb; h++ {
		w.eb = append(w.eb, ethBlock(h, etx[h]...))
		w.bb = append(w.bb, btcBlock(h, w.p, btx[h]...))
	}
	return w
}

// run applies w's blocks, the chains interleaved at random (rng nil: all
// of Ethereum's first), with reorgs if asked: after a step, the newest blocks of a chain may be
// undone and come back later, as a follower that saw them reorged out and
// in again would deliver them. It returns the incident's summary and the
// exchange deposits live at the end (tx → tainted).
func (w swapWorld) run(t *testing.T, rng *rand.Rand, reorgs bool) (string, string) {
	ethFirst := rng == nil
	t.Helper()
	l := tracertest.Labels{
		"ethereum|" + router: {Chain: chains.Ethereum, Address: router, Kind: watchlists.Bridge, Label: "THORChain router", Protocol: thorchain.Protocol, Owner: "shipped"},
		"bitcoin|" + btcEx:   {Chain: chains.Bitcoin, Address: btcEx, Kind: watchlists.Exchange, Label: "BTC exchange", Owner: "exch"},
	}
	s := &tracertest.Sink{}
	dust := map[chains.Chain]*big.Int{chains.Ethereum: big.NewInt(1e15), chains.Bitcoin: big.NewInt(1000)}
	e, err := tracer.New(tracer.Config{Dust: dust}, tracer.Deps{Labels: l, Sink: s, Prevouts: w.p,
		Sources:     map[chains.Chain]chains.BlockSource{chains.Ethereum: tracertest.NewBlocks(w.eb...), chains.Bitcoin: tracertest.NewBlocks(w.bb...)},
		Recognisers: []tracer.Recogniser{thorchain.New(l, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.OpenIncident(context.Background(), watchlists.Incident{ID: "inc", Chain: chains.Ethereum, Status: watchlists.Open,
		Seeds: []watchlists.Seed{{Tx: w.eb[0].Txs[0].Hash}}}); err != nil {
		t.Fatal(err)
	}
	handle := func(typ chains.EventType, b *chains.Block) {
		t.Helper()
		if err := e.Handle(context.Background(), chains.Event{Type: typ, Chain: b.Chain, Block: b, Ref: b.Ref}); err != nil {
			t.Fatalf("%v %s block %d: %v", typ, b.Chain, b.Ref.Number, err)
		}
	}
	next := map[chains.Chain]int{} // blocks applied per chain
	blocks := map[chains.Chain][]*chains.Block{chains.Ethereum: w.eb, chains.Bitcoin: w.bb}
	for next[chains.Ethereum] < len(w.eb) || next[chains.Bitcoin] < len(w.bb) {
		c := chains.Bitcoin
		if next[chains.Bitcoin] == len(w.bb) || (next[chains.Ethereum] < len(w.eb) && (ethFirst || rng.Intn(2) == 0)) {
			c = chains.Ethereum
		}
		handle(chains.Connected, blocks[c][next[c]])
		next[c]++
		if reorgs && !ethFirst && rng.Intn(3) == 0 {
			rc := []chains.Chain{chains.Ethereum, chains.Bitcoin}[rng.Intn(2)]
			for k := 1 + rng.Intn(2); k > 0 && next[rc] > 1; k-- {
				next[rc]--
				handle(chains.Disconnected, blocks[rc][next[rc]])
			}
		}
	}
	sum, _ := e.Summary("inc")
	slices.SortFunc(sum.Holders, func(a, b tracer.Holder) int {
		return strings.Compare(string(a.Chain)+a.Address+a.Asset, string(b.Chain)+b.Address+b.Asset)
	})
	sum.CatchUp = tracer.CatchUpProgress{}
	js, _ := json.Marshal(sum)
	var live []string
	for _, f := range s.Live(tracer.ExchangeDeposit) {
		live = append(live, fmt.Sprintf("%s:%s", f.Tx, f.Tainted))
	}
	slices.Sort(live)
	return string(js), strings.Join(live, " ")
}

// TestPropertySwapOrderAndReorgs: whatever order the two chains' blocks
// come in, and whatever reorgs undo and bring back, the incident ends with
// the taint where the Ethereum-first order puts it and the same exchange
// deposits live — one per payout, each tainted.
func TestPropertySwapOrderAndReorgs(t *testing.T) {
	for seed := int64(1); seed <= 60; seed++ {
		w := newSwapWorld(seed)
		wantSum, wantLive := w.run(t, nil, false)
		if n := len(strings.Fields(wantLive)); n != w.swaps {
			t.Fatalf("seed %d: %d exchange deposits live in the Ethereum-first run, want one per swap (%d)", seed, n, w.swaps)
		}
		for trial := 0; trial < 6; trial++ {
			rng := rand.New(rand.NewSource(seed*100 + int64(trial)))
			gotSum, gotLive := w.run(t, rng, trial%2 == 1)
			if gotSum != wantSum || gotLive != wantLive {
				t.Fatalf("seed %d trial %d:\nsummary %s\nlive    %s\nwant\nsummary %s\nlive    %s", seed, trial, gotSum, gotLive, wantSum, wantLive)
			}
		}
	}
}
