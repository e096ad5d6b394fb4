package tracer_test

import (
	"fmt"
	"math/big"
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/mixers/coinjoin"
	"github.com/chainhound/chainhound/watchlists"
)

func basePrevouts() prevoutMap {
	return prevoutMap{
		op("v", 0):     {Index: 0, Value: 100000, Address: "vaddr", Class: chains.P2WPKH},
		op("clean", 0): {Index: 0, Value: 12000, Address: "caddr", Class: chains.P2WPKH},
		op("clean", 1): {Index: 1, Value: 30000, Address: "caddr", Class: chains.P2WPKH},
	}
}

// theft spends the victim's coin: 99000 to the thief, 1000 fee.
var theft = utx{ins: []chains.Outpoint{op("v", 0)}, outs: outs("t1", 99000)}

// TestUTXOPolicies runs hand-computed cases on the UTXO model; want maps
// policy → outpoint → taint held at the end.
func TestUTXOPolicies(t *testing.T) {
	var forty []any
	want40 := map[string]int64{}
	for i := 0; i < 40; i++ {
		forty = append(forty, fmt.Sprintf("s%d", i), 2400)
		if i != 7 {
			want40[fmt.Sprintf("b2-0:%d", i)] = 2400
		}
	}
	cases := []struct {
		name   string
		inc    watchlists.Incident
		blocks [][]utx
		want   map[watchlists.Policy]map[string]int64
		left   int // taint.left findings
		exHits int
	}{
		{
			name: "peel chain, merge with clean funds, fees",
			blocks: [][]utx{
				{theft},
				{{ins: []chains.Outpoint{op("b1-0", 0)}, outs: outs("p1", 10000, "c1", 88000)}},
				{{ins: []chains.Outpoint{op("b2-0", 1), op("clean", 0)}, outs: outs("p2", 50000, "c2", 49000)}},
			},
			want: map[watchlists.Policy]map[string]int64{
				// T=88000 over Σv(i)=100000: p2 ⌊50000·0.88⌋, c2 ⌊49000·0.88⌋, 880 to the fee.
				watchlists.Haircut: {"b2-0:0": 10000, "b3-0:0": 44000, "b3-0:1": 43120},
				// [T88000][C12000]: p2 takes T50000, c2 T38000+C11000, fee C1000.
				watchlists.FIFO:   {"b2-0:0": 10000, "b3-0:0": 50000, "b3-0:1": 38000},
				watchlists.Poison: {"b2-0:0": 10000, "b3-0:0": 50000, "b3-0:1": 49000},
			},
		},
		{
			name: "split to 40 outputs, one an exchange",
			blocks: [][]utx{
				{theft},
				{{ins: []chains.Outpoint{op("b1-0", 0)}, outs: outs(forty...)}},
			},
			want: map[watchlists.Policy]map[string]int64{
				watchlists.Haircut: want40, watchlists.FIFO: want40, watchlists.Poison: want40,
			},
			exHits: 1,
		},
		{
			name: "fifo order of inputs",
			blocks: [][]utx{
				{theft},
				{{ins: []chains.Outpoint{op("clean", 1), op("b1-0", 0)}, outs: outs("a", 50000, "b", 78000)}},
			},
			want: map[watchlists.Policy]map[string]int64{
				watchlists.Haircut: {"b2-0:0": 38372, "b2-0:1": 59860},
				watchlists.FIFO:    {"b2-0:0": 20000, "b2-0:1": 78000},
				watchlists.Poison:  {"b2-0:0": 50000, "b2-0:1": 78000},
			},
		},
		{
			name: "op_return drops taint",
			blocks: [][]utx{
				{theft},
				{{ins: []chains.Outpoint{op("b1-0", 0)}, outs: outs("a", 90000, "op_return:6a01", 8000)}},
			},
			want: map[watchlists.Policy]map[string]int64{
				watchlists.Haircut: {"b2-0:0": 90000},
				watchlists.FIFO:    {"b2-0:0": 90000},
				watchlists.Poison:  {"b2-0:0": 90000},
			},
			left: 1, // haircut and FIFO carry 8000 into the OP_RETURN; poison taints only spendable outputs
		},
		{
			name: "dust cut-off",
			inc:  watchlists.Incident{Dust: big.NewInt(5000)},
			blocks: [][]utx{
				{theft},
				{{ins: []chains.Outpoint{op("b1-0", 0)}, outs: outs("a", 4000, "b", 94000)}},
			},
			want: map[watchlists.Policy]map[string]int64{
				watchlists.Haircut: {"b2-0:1": 94000},
				watchlists.FIFO:    {"b2-0:1": 94000},
				watchlists.Poison:  {"b2-0:1": 94000},
			},
		},
		{
			name: "max-hop cut-off",
			inc:  watchlists.Incident{MaxHops: 2},
			blocks: [][]utx{
				{theft},
				{{ins: []chains.Outpoint{op("b1-0", 0)}, outs: outs("a", 98000)}},
				{{ins: []chains.Outpoint{op("b2-0", 0)}, outs: outs("b", 97000)}},
			},
			want: map[watchlists.Policy]map[string]int64{
				watchlists.Haircut: {}, watchlists.FIFO: {}, watchlists.Poison: {},
			},
		},
	}
	for _, tc := range cases {
		for _, pol := range policies {
			t.Run(tc.name+"/"+string(pol), func(t *testing.T) {
				if len(tc.blocks) == 1 {
					t.Fatal("need a spend") // a case of the table, checked before it runs
				}
				labels := labelMap{}
				labels.add(chains.Bitcoin, "s7", watchlists.Exchange, "Test Exchange")
				pre := basePrevouts()
				e, log := newTestEngine(t, labels, nil, pre)
				inc := tc.inc
				inc.ID, inc.Chain, inc.Policy = "inc_1", chains.Bitcoin, pol
				inc.Seeds = []watchlists.Seed{{Tx: "b1-0"}}
				open(t, e, inc)
				connect(t, e, btcBlock(0, ""))
				for i, txs := range tc.blocks {
					b := btcBlock(uint64(i+1), "", txs...)
					pre.Add(b)
					connect(t, e, b)
				}
				got := held(t, e, "inc_1")
				if !reflect.DeepEqual(got, tc.want[pol]) {
					t.Errorf("holdings\n got %v\nwant %v", got, tc.want[pol])
				}
				wantLeft := tc.left
				if pol == watchlists.Poison {
					wantLeft = 0
				}
				if n := len(log.ofType(tracer.TaintLeft)); n != wantLeft {
					t.Errorf("taint.left: got %d, want %d", n, wantLeft)
				}
				if n := len(log.ofType(tracer.ExchangeDeposit)); n != tc.exHits {
					t.Errorf("exchange deposits: got %d, want %d", n, tc.exHits)
				}
				s, _ := e.Summary("inc_1")
				if s.Stolen[""].Int64() != 99000 {
					t.Errorf("stolen %v, want 99000", s.Stolen)
				}
			})
		}
	}
}

// A compromised address's coins that chainhound never saw arrive: the
// spend is still seeded, because the spending script reveals the address
// (chains.Input.Address without Resolved); the value comes from the
// prevout resolver.
func TestUTXOAddressSeedFromRevealedInput(t *testing.T) {
	for _, pol := range policies {
		t.Run(string(pol), func(t *testing.T) {
			pre := basePrevouts()
			e, _ := newTestEngine(t, labelMap{}, nil, pre)
			open(t, e, watchlists.Incident{ID: "inc_1", Chain: chains.Bitcoin, Policy: pol,
				Seeds: []watchlists.Seed{{Address: "vaddr", FromBlock: 1}}})
			connect(t, e, btcBlock(0, ""))
			b := btcBlock(1, "", theft)
			b.Txs[0].Inputs[0].Address = "vaddr" // revealed, not resolved
			pre.Add(b)
			connect(t, e, b)
			if got, want := held(t, e, "inc_1"), map[string]int64{"b1-0:0": 99000}; !reflect.DeepEqual(got, want) {
				t.Fatalf("held %v, want %v", got, want)
			}
			// Without the revealed address the old coin's spend goes unseen.
			e2, _ := newTestEngine(t, labelMap{}, nil, basePrevouts())
			open(t, e2, watchlists.Incident{ID: "inc_1", Chain: chains.Bitcoin, Policy: pol,
				Seeds: []watchlists.Seed{{Address: "vaddr", FromBlock: 1}}})
			connect(t, e2, btcBlock(0, ""))
			connect(t, e2, btcBlock(1, "", theft))
			if got := held(t, e2, "inc_1"); len(got) != 0 {
				t.Fatalf("unrevealed input seeded %v", got)
			}
		})
	}
}

// spyAddresser derives input addresses the way a Bitcoin decoder would
// (here: the scriptSig names the address) and counts the derivations.
type spyAddresser struct{ inputs int }

func (s *spyAddresser) OutputAddress(o *chains.Output) string { return string(o.Script) }
func (s *spyAddresser) InputAddress(in *chains.Input) string {
	s.inputs++
	return string(in.SigScript)
}

// kindLabels is a labelMap that also says which kinds it watches.
type kindLabels struct{ labelMap }

func (l kindLabels) Watches(c chains.Chain, kind watchlists.Kind) bool {
	for _, e := range l.labelMap {
		if e.Chain == c && e.Kind == kind {
			return true
		}
	}
	return false
}

// TestInputAddressesOnlyForTreasuries: the engine derives the addresses
// a Bitcoin block left to be derived only when a treasury is watched, and
// then sees the treasury's spend through them.
func TestInputAddressesOnlyForTreasuries(t *testing.T) {
	for _, watched := range []bool{false, true} {
		t.Run(fmt.Sprintf("treasury watched %v", watched), func(t *testing.T) {
			labels := kindLabels{labelMap{}}
			labels.add(chains.Bitcoin, "xaddr", watchlists.Exchange, "Ex")
			if watched {
				labels.add(chains.Bitcoin, "tsy", watchlists.Treasury, "Treasury")
			}
			log := &findingLog{}
			e, err := tracer.New(tracer.Config{}, tracer.Deps{Labels: labels, Sink: log})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			spy := &spyAddresser{}
			b1 := btcBlock(1, "", utx{outs: outs("tsy", 50000)})
			b2 := btcBlock(2, "", utx{ins: []chains.Outpoint{op("b1-0", 0)}, outs: outs("xaddr", 49000)})
			for _, b := range []*chains.Block{b1, b2} {
				b.Addresser = spy
				for i := range b.Txs {
					for k := range b.Txs[i].Inputs {
						b.Txs[i].Inputs[k].SigScript = []byte("tsy") // reveals the treasury
					}
				}
				connect(t, e, b)
			}
			outflows := log.ofType(tracer.TreasuryOutflow)
			switch {
			case !watched && (spy.inputs != 0 || len(outflows) != 0):
				t.Fatalf("no treasury watched: %d input addresses derived, %d outflows; want none", spy.inputs, len(outflows))
			case watched && (spy.inputs != 1 || len(outflows) != 1 || outflows[0].To != "xaddr" || outflows[0].Amount.Int64() != 49000):
				t.Fatalf("treasury watched: %d derived, outflows %+v; want the one input derived and 49000 to xaddr", spy.inputs, outflows)
			}
		})
	}
}

// TestCoinJoin: the thief's 99,000 sat coin enters a JoinMarket-shaped
// join (three equal outputs of 30,000, three changes) with two clean
// coins. Under haircut and FIFO the taint goes to the equal outputs alone,
// 99,000 × 30,000 ÷ 90,000 capped at 30,000: all three in full, and the
// 9,000 the equal outputs cannot hold to the changes by haircut; the join
// is a taint.coinjoin finding. Poison taints every output as ever.
func TestCoinJoin(t *testing.T) {
	for _, pol := range policies {
		t.Run(string(pol), func(t *testing.T) {
			pre := basePrevouts()
			pre[op("clean2", 0)] = chains.Output{Index: 0, Value: 40_000, Address: "c2addr", Class: chains.P2WPKH}
			log := &findingLog{}
			e, err := tracer.New(tracer.Config{}, tracer.Deps{Sink: log, Prevouts: pre,
				CoinJoins: func(tx *chains.Tx, ins []coinjoin.Input, h uint64) (coinjoin.Join, bool) {
					return coinjoin.Detect(tx, ins, h, false)
				}})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			open(t, e, watchlists.Incident{ID: "inc_1", Chain: chains.Bitcoin, Policy: pol, Seeds: []watchlists.Seed{{Tx: "b1-0"}}})
			connect(t, e, btcBlock(0, ""))
			b1 := btcBlock(1, "", theft)
			pre.Add(b1)
			connect(t, e, b1)
			// Inputs 99,000 + 30,000 + 40,000 = 169,000; outputs 168,000, fee 1,000.
			join := utx{ins: []chains.Outpoint{op("b1-0", 0), op("clean", 1), op("clean2", 0)},
				outs: outs("j1", 30_000, "j2", 30_000, "j3", 30_000, "ch1", 68_000, "ch2", 5_000, "ch3", 5_000)}
			b2 := btcBlock(2, "", join)
			pre.Add(b2)
			connect(t, e, b2)
			if n := len(log.ofType(tracer.CoinJoinHit)); pol != watchlists.Poison && n != 1 {
				t.Fatalf("coinjoin findings %d, want 1", n)
			}
			got := held(t, e, "inc_1")
			want := map[string]int64{"b2-0:0": 30_000, "b2-0:1": 30_000, "b2-0:2": 30_000,
				// the rest, 9,000, over the changes and the fee (79,000): ⌊v·9,000/79,000⌋
				"b2-0:3": 7_746, "b2-0:4": 569, "b2-0:5": 569}
			if pol == watchlists.Poison {
				want = map[string]int64{"b2-0:0": 30_000, "b2-0:1": 30_000, "b2-0:2": 30_000, "b2-0:3": 68_000, "b2-0:4": 5_000, "b2-0:5": 5_000}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("holdings\n got %v\nwant %v", got, want)
			}
		})
	}
}
