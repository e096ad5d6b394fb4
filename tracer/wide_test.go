package tracer_test

import (
	"context"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// The engine keeps amounts in 128 bits and escapes larger ones (ERC-20
// amounts reach 2²⁵⁶−1) to a side table. These tests move token amounts
// around and above 2¹²⁸ through every policy and check every unit.

func pow2(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }

func bigSum(xs ...*big.Int) *big.Int {
	s := new(big.Int)
	for _, x := range xs {
		s.Add(s, x)
	}
	return s
}

func bigSub(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }

// haircutOf is ⌊a·t/B⌋.
func haircutOf(a, t, b *big.Int) *big.Int {
	x := new(big.Int).Mul(a, t)
	return x.Quo(x, b)
}

var wideToken = chains.Asset{Symbol: "BIG", Contract: "0x00000000000000000000000000000000000b16b1", Decimals: 18}

type bigXf struct {
	from, to string
	amt      *big.Int
}

// tokenBlock builds block n with one transaction per transfer.
func tokenBlock(n uint64, xs ...bigXf) *chains.Block {
	b := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: n, Hash: blockHash(chains.Ethereum, n, "w"), Time: time.Unix(int64(1_700_000_000+n*12), 0).UTC()}}
	if n > 0 {
		b.Ref.Parent = blockHash(chains.Ethereum, n-1, "w")
	}
	for i, x := range xs {
		tx := chains.Tx{Hash: fmt.Sprintf("0x%d-%dw", n, i), Index: i, From: x.from}
		tx.Transfers = []chains.Transfer{{Kind: chains.Token, TxIndex: i, Seq: 0, LogIndex: i, From: x.from, To: x.to, Asset: wideToken, Amount: new(big.Int).Set(x.amt)}}
		b.Txs = append(b.Txs, tx)
	}
	return b
}

func TestWideAmounts(t *testing.T) {
	var (
		stolen = bigSum(pow2(255), pow2(200), big.NewInt(12345))
		toA    = bigSum(pow2(254), big.NewInt(7))
		toB    = bigSub(pow2(128), pow2(64))     // the first escaped amount
		toC    = bigSub(toB, big.NewInt(1))      // the last one kept in 128 bits
		cTop   = bigSum(pow2(64), big.NewInt(5)) // toC+cTop carries out of 128 bits
		clean  = bigSum(pow2(253), big.NewInt(1))
		toD    = bigSum(pow2(129), big.NewInt(3))
		toEx   = pow2(200)
	)
	blocks := []*chains.Block{
		tokenBlock(1, bigXf{"0xvictim", "0xthief", stolen}),
		tokenBlock(2, bigXf{"0xthief", "0xa", toA}, bigXf{"0xthief", "0xb", toB}, bigXf{"0xthief", "0xc", toC}, bigXf{"0xthief", "0xc", cTop}),
		tokenBlock(3, bigXf{"0xclean", "0xa", clean}, bigXf{"0xa", "0xd", toD}, bigXf{"0xb", "0xe", big.NewInt(1)}, bigXf{"0xc", "0xf", pow2(64)}),
		tokenBlock(4, bigXf{"0xa", "0xex", toEx}),
	}
	for _, pol := range policies {
		t.Run(string(pol), func(t *testing.T) {
			// What each holder keeps and what reaches the exchange.
			var want map[string]*big.Int
			var exTaint, dTaint *big.Int
			thief := bigSub(stolen, bigSum(toA, toB, toC, cTop))
			cHeld := bigSum(toC, cTop)
			switch pol {
			case watchlists.Haircut:
				dTaint = haircutOf(toD, toA, bigSum(toA, clean))
				aLeft := bigSub(toA, dTaint)
				exTaint = haircutOf(toEx, aLeft, bigSub(bigSum(toA, clean), toD))
				want = map[string]*big.Int{"0xthief": thief, "0xa": bigSub(aLeft, exTaint), "0xb": bigSub(toB, big.NewInt(1)), "0xc": bigSub(cHeld, pow2(64)), "0xd": dTaint, "0xe": big.NewInt(1), "0xf": pow2(64)}
			case watchlists.FIFO:
				dTaint, exTaint = toD, toEx
				want = map[string]*big.Int{"0xthief": thief, "0xa": bigSub(toA, bigSum(toD, toEx)), "0xb": bigSub(toB, big.NewInt(1)), "0xc": bigSub(cHeld, pow2(64)), "0xd": toD, "0xe": big.NewInt(1), "0xf": pow2(64)}
			case watchlists.Poison:
				dTaint, exTaint = toD, toEx
				want = map[string]*big.Int{"0xthief": stolen, "0xa": toA, "0xb": toB, "0xc": cHeld, "0xd": toD, "0xe": big.NewInt(1), "0xf": pow2(64)}
			}
			labels := labelMap{}
			labels.add(chains.Ethereum, "0xex", watchlists.Exchange, "Ex")
			store, err := pebble.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			newEngine := func() (*tracer.Engine, *findingLog) {
				log := &findingLog{}
				e, err := tracer.New(tracer.Config{}, tracer.Deps{Labels: labels, Sink: log, Store: store})
				if err != nil {
					t.Fatal(err)
				}
				if err := e.Load(context.Background()); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { e.Close() })
				return e, log
			}
			e, log := newEngine()
			open(t, e, watchlists.Incident{ID: "inc_w", Chain: chains.Ethereum, Policy: pol, Seeds: []watchlists.Seed{{Tx: "0x1-0w"}}})
			states := [][]tracer.KV{tracer.StateKVs(e)}
			for _, b := range blocks {
				connect(t, e, b)
				states = append(states, tracer.StateKVs(e))
			}

			s, _ := e.Summary("inc_w")
			got := map[string]*big.Int{}
			for _, h := range s.Holders {
				if h.Asset != wideToken.Key() {
					t.Errorf("holder %s: asset %q", h.Address, h.Asset)
				}
				got[h.Address] = h.Tainted
			}
			for addr, w := range want {
				if got[addr] == nil || got[addr].Cmp(w) != 0 {
					t.Errorf("%s holds %v, want %v", addr, got[addr], w)
				}
			}
			if len(got) != len(want) {
				t.Errorf("holders %v, want %v", got, want)
			}
			if st := s.Stolen[wideToken.Key()]; st == nil || st.Cmp(stolen) != 0 {
				t.Errorf("stolen %v, want %v", st, stolen)
			}
			ex := log.ofType(tracer.ExchangeDeposit)
			if len(ex) != 1 {
				t.Fatalf("%d exchange deposits, want 1", len(ex))
			}
			if ex[0].Tainted.Cmp(exTaint) != 0 || ex[0].Amount.Cmp(toEx) != 0 {
				t.Errorf("deposit tainted %v of %v, want %v of %v", ex[0].Tainted, ex[0].Amount, exTaint, toEx)
			}
			wantPath := []*big.Int{stolen, toA, exTaint}
			if len(ex[0].Path) != len(wantPath) {
				t.Fatalf("path %v", ex[0].Path)
			}
			for i, h := range ex[0].Path {
				if h.Amount.Cmp(wantPath[i]) != 0 {
					t.Errorf("path hop %d carries %v, want %v", i, h.Amount, wantPath[i])
				}
			}
			if len(s.Services) != 1 || s.Services[0].Tainted.Cmp(exTaint) != 0 {
				t.Errorf("parked %v, want %v at 0xex", s.Services, exTaint)
			}
			if f, _ := e.Flow("inc_w"); f == nil || len(f.Edges) == 0 {
				t.Errorf("no flow")
			} else {
				toD := 0
				for _, ed := range f.Edges {
					if ed.To == "0xd" {
						toD++
						if (*big.Int)(ed.Amount).Cmp(dTaint) != 0 {
							t.Errorf("flow edge to 0xd carries %v, want %v", (*big.Int)(ed.Amount), dTaint)
						}
					}
				}
				if toD != 1 {
					t.Errorf("%d flow edges to 0xd, want 1", toD)
				}
			}

			// A reloaded engine holds the same, and both undo exactly.
			re, _ := newEngine()
			if got := tracer.StateKVs(re); !equalState(states[len(blocks)], got) {
				t.Fatalf("reloaded state differs:\n%s", diffState(states[len(blocks)], got))
			}
			for i := len(blocks) - 1; i >= 1; i-- {
				disconnect(t, e, blocks[i])
				if got := tracer.StateKVs(e); !equalState(states[i], got) {
					t.Fatalf("undo of block %d:\n%s", i+1, diffState(states[i], got))
				}
			}
			disconnect(t, re, blocks[len(blocks)-1])
			if got := tracer.StateKVs(re); !equalState(states[len(blocks)-1], got) {
				t.Fatalf("undo on the reloaded engine:\n%s", diffState(states[len(blocks)-1], got))
			}
			// Redo on the undone engine gives the same state again.
			for i := 1; i < len(blocks); i++ {
				connect(t, e, blocks[i])
			}
			if got := tracer.StateKVs(e); !equalState(states[len(blocks)], got) {
				t.Fatalf("redo differs:\n%s", diffState(states[len(blocks)], got))
			}
		})
	}
}
