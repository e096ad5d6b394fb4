package tracer_test

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"math/rand"
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/chainstest"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// randomAccountChain makes nblocks valid blocks over a small address set:
// block 1 holds the theft from 0xv.
func randomAccountChain(seed int64, nblocks int) ([]*chains.Block, *chainstest.Ledger) {
	r := rand.New(rand.NewSource(seed))
	addrs := []string{"0xv"}
	for i := 0; i < 25; i++ {
		addrs = append(addrs, fmt.Sprintf("0x%02x", i))
	}
	addrs = append(addrs, "0xex", "0xmix")
	hist := &chainstest.Ledger{Opening: map[string]int64{}}
	bal := map[string]int64{}
	for _, a := range addrs {
		hist.Opening[a] = r.Int63n(5000)
		bal[a] = hist.Opening[a]
	}
	hist.Opening["0xv"], bal["0xv"] = 100000, 100000
	var blocks []*chains.Block
	for n := 1; n <= nblocks; n++ {
		var txs [][]xf
		if n == 1 {
			txs = append(txs, []xf{{"0xv", "0x00", 60000, false}, {"0xv", "0x01", 30000, false}})
			bal["0xv"] -= 90000
			bal["0x00"] += 60000
			bal["0x01"] += 30000
		}
		for i := r.Intn(12); i >= 0; i-- {
			var tr []xf
			from := addrs[1+r.Intn(25)]
			for k := r.Intn(3); k >= 0; k-- {
				if bal[from] <= 1 {
					break
				}
				to := addrs[1+r.Intn(len(addrs)-1)]
				amt := 1 + r.Int63n(bal[from])
				tr = append(tr, xf{from, to, amt, false})
				bal[from] -= amt
				bal[to] += amt
			}
			if bal[from] > 10 && r.Intn(2) == 0 {
				fee := 1 + r.Int63n(10)
				tr = append(tr, xf{from, "", fee, true})
				bal[from] -= fee
			}
			if len(tr) > 0 {
				txs = append(txs, tr)
			}
		}
		b := ethBlock(uint64(n), "", txs...)
		blocks = append(blocks, b)
		hist.Blocks = append(hist.Blocks, b)
	}
	return blocks, hist
}

// randomUTXOChain makes nblocks of valid transactions over a coin set.
func randomUTXOChain(seed int64, nblocks int) ([]*chains.Block, prevoutMap) {
	r := rand.New(rand.NewSource(seed))
	pre := prevoutMap{op("v", 0): {Index: 0, Value: 1000000, Address: "vaddr", Class: chains.P2WPKH}}
	type coin struct {
		op chains.Outpoint
		v  int64
	}
	var coins []coin
	for i := 0; i < 20; i++ {
		o := op(fmt.Sprintf("c%d", i), 0)
		v := int64(1000 + r.Intn(200000))
		pre[o] = chains.Output{Value: v, Address: fmt.Sprintf("addr%d", i), Class: chains.P2WPKH}
		coins = append(coins, coin{o, v})
	}
	var blocks []*chains.Block
	for n := 1; n <= nblocks; n++ {
		var txs []utx
		if n == 1 {
			txs = append(txs, utx{ins: []chains.Outpoint{op("v", 0)}, outs: outs("t1", 600000, "t2", 390000, "vaddr", 9000)})
		}
		for i := r.Intn(8); i >= 0 && len(coins) > 0; i-- {
			var t utx
			var in int64
			for k := r.Intn(3); k >= 0 && len(coins) > 0; k-- {
				j := r.Intn(len(coins))
				t.ins = append(t.ins, coins[j].op)
				in += coins[j].v
				coins = append(coins[:j], coins[j+1:]...)
			}
			fee := int64(r.Intn(500))
			left := in - fee
			var ps []any
			for k := r.Intn(3); k >= 0 && left > 0; k-- {
				v := left
				if k > 0 {
					v = 1 + r.Int63n(left)
				}
				addr := fmt.Sprintf("addr%d", r.Intn(30))
				if r.Intn(15) == 0 {
					addr = "exaddr"
				}
				if r.Intn(25) == 0 {
					addr = "op_return:6a"
				}
				ps = append(ps, addr, int(v))
				left -= v
			}
			t.outs = outs(ps...)
			txs = append(txs, t)
		}
		b := btcBlock(uint64(n), "", txs...)
		pre.Add(b)
		for _, tx := range b.Txs {
			for _, o := range tx.Outputs {
				if o.Class != chains.NullData && o.Address != "vaddr" {
					coins = append(coins, coin{op(tx.Hash, o.Index), o.Value})
				}
			}
		}
		blocks = append(blocks, b)
	}
	return blocks, pre
}

type world struct {
	chain  chains.Chain
	blocks []*chains.Block
	deps   func() tracer.Deps
}

func worlds(seed int64) []world {
	ab, hist := randomAccountChain(seed, 30)
	ub, pre := randomUTXOChain(seed, 30)
	labels := labelMap{}
	labels.add(chains.Ethereum, "0xex", watchlists.Exchange, "Ex")
	labels.add(chains.Ethereum, "0xmix", watchlists.Mixer, "Mixer")
	labels.add(chains.Bitcoin, "exaddr", watchlists.Exchange, "Ex")
	return []world{
		{chains.Ethereum, ab, func() tracer.Deps { return tracer.Deps{Labels: labels, Balances: hist} }},
		{chains.Bitcoin, ub, func() tracer.Deps { return tracer.Deps{Labels: labels, Prevouts: pre} }},
	}
}

func newWorldEngine(t testing.TB, w world, pol watchlists.Policy, store tracer.Store) (*tracer.Engine, *findingLog) {
	t.Helper()
	deps := w.deps()
	log := &findingLog{}
	deps.Sink, deps.Store = log, store
	depth := 100
	if checkEngines {
		depth = 6 // journals pruned early, so sweeps free hops
	}
	e, err := tracer.New(tracer.Config{FinalityDepth: map[chains.Chain]int{w.chain: depth}}, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if checkEngines {
		tracer.Check(e)
	}
	seed := "0x1-0"
	if w.chain == chains.Bitcoin {
		seed = "b1-0"
	}
	if _, ok := e.Summary("inc_p"); !ok {
		open(t, e, watchlists.Incident{ID: "inc_p", Chain: w.chain, Policy: pol, Seeds: []watchlists.Seed{{Tx: seed}}})
	}
	return e, log
}

func equalState(a, b []tracer.KV) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].Key, b[i].Key) || !bytes.Equal(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

func diffState(a, b []tracer.KV) string {
	m := map[string]string{}
	for _, kv := range a {
		m[string(kv.Key)] = fmt.Sprintf("%x", kv.Value)
	}
	var out string
	for _, kv := range b {
		if v, ok := m[string(kv.Key)]; !ok {
			out += "+ " + string(kv.Key) + "\n"
		} else if v != fmt.Sprintf("%x", kv.Value) {
			out += "~ " + string(kv.Key) + "\n"
		}
		delete(m, string(kv.Key))
	}
	for k := range m {
		out += "- " + k + "\n"
	}
	return out
}

// checkConservation: taint held plus taint parked at services never
// exceeds what was stolen (haircut, FIFO); findings never carry more taint
// than their amount; hops stay within the limit.
func checkConservation(t *testing.T, e *tracer.Engine, pol watchlists.Policy, log *findingLog) {
	t.Helper()
	s, _ := e.Summary("inc_p")
	for _, h := range s.Holders {
		if h.Tainted.Sign() <= 0 || h.Hops > 12 {
			t.Fatalf("holder %s: tainted %v hops %d", h.Address, h.Tainted, h.Hops)
		}
	}
	for _, f := range log.raised {
		if f.Tainted != nil && (f.Tainted.Sign() < 0 || f.Tainted.Cmp(f.Amount) > 0) {
			t.Fatalf("finding %s carries %v taint of %v", f.ID, f.Tainted, f.Amount)
		}
	}
	if pol == watchlists.Poison {
		return
	}
	total := new(big.Int)
	for _, v := range s.Tainted {
		total.Add(total, v)
	}
	for _, d := range s.Services {
		total.Add(total, d.Tainted)
	}
	stolen := new(big.Int)
	for _, v := range s.Stolen {
		stolen.Add(stolen, v)
	}
	if stolen.Sign() == 0 || total.Cmp(stolen) > 0 {
		t.Fatalf("taint %v exceeds stolen %v", total, stolen)
	}
}

func TestPropertyConservationDeterminismUndo(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		for _, w := range worlds(seed) {
			for _, pol := range policies {
				t.Run(fmt.Sprintf("%s/%s/seed%d", w.chain, pol, seed), func(t *testing.T) {
					a, alog := newWorldEngine(t, w, pol, nil)
					b, blog := newWorldEngine(t, w, pol, nil)
					for _, blk := range w.blocks {
						before := tracer.StateKVs(a)
						nf := len(alog.raised)
						connect(t, a, blk)
						raisedHere := len(alog.raised) - nf
						// Exact undo: connect then disconnect is the identity.
						disconnect(t, a, blk)
						if after := tracer.StateKVs(a); !equalState(before, after) {
							t.Fatalf("block %d: undo differs:\n%s", blk.Ref.Number, diffState(before, after))
						}
						if len(alog.retracted) < raisedHere {
							t.Fatalf("block %d: %d findings raised, %d retracted", blk.Ref.Number, raisedHere, len(alog.retracted))
						}
						alog.retracted = nil
						alog.raised = alog.raised[:nf]
						connect(t, a, blk)
						connect(t, b, blk)
						checkConservation(t, a, pol, alog)
					}
					if !equalState(tracer.StateKVs(a), tracer.StateKVs(b)) {
						t.Fatalf("two runs differ:\n%s", diffState(tracer.StateKVs(a), tracer.StateKVs(b)))
					}
					if !reflect.DeepEqual(alog.raised, blog.raised) {
						t.Fatalf("two runs raised different findings: %d vs %d", len(alog.raised), len(blog.raised))
					}
					s, _ := a.Summary("inc_p")
					if len(s.Holders) == 0 && len(s.Services) == 0 {
						t.Fatalf("no taint anywhere: the generator made no flow")
					}
					// A deep reorg: undo the last five blocks at once.
					var states [][]tracer.KV
					bb := w.blocks
					fresh, _ := newWorldEngine(t, w, pol, nil)
					for i, blk := range bb {
						connect(t, fresh, blk)
						if i >= len(bb)-6 {
							states = append(states, tracer.StateKVs(fresh))
						}
					}
					for i := len(bb) - 1; i >= len(bb)-5; i-- {
						disconnect(t, fresh, bb[i])
						want := states[len(states)-1-(len(bb)-i)]
						if got := tracer.StateKVs(fresh); !equalState(want, got) {
							t.Fatalf("after undoing block %d:\n%s", bb[i].Ref.Number, diffState(want, got))
						}
					}
				})
			}
		}
	}
}

// TestPropertyPersistence: the state after a save and Load equals the state
// without one, and a reloaded engine still undoes a block exactly.
func TestPropertyPersistence(t *testing.T) {
	for _, w := range worlds(7) {
		for _, pol := range policies {
			t.Run(fmt.Sprintf("%s/%s", w.chain, pol), func(t *testing.T) {
				store, err := pebble.Open(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				defer store.Close()
				a, _ := newWorldEngine(t, w, pol, store)
				mem, _ := newWorldEngine(t, w, pol, nil)
				for i, blk := range w.blocks {
					connect(t, a, blk)
					connect(t, mem, blk)
					if i%7 == 0 || i == len(w.blocks)-1 {
						re, _ := newWorldEngine(t, w, pol, store)
						if got, want := tracer.StateKVs(re), tracer.StateKVs(mem); !equalState(want, got) {
							t.Fatalf("block %d: reloaded state differs:\n%s", blk.Ref.Number, diffState(want, got))
						}
						re.Close()
					}
				}
				// Undo the last two blocks on a reloaded engine and in memory.
				re, _ := newWorldEngine(t, w, pol, store)
				for _, blk := range []*chains.Block{w.blocks[len(w.blocks)-1], w.blocks[len(w.blocks)-2]} {
					disconnect(t, re, blk)
					disconnect(t, mem, blk)
				}
				if got, want := tracer.StateKVs(re), tracer.StateKVs(mem); !equalState(want, got) {
					t.Fatalf("undo after reload differs:\n%s", diffState(want, got))
				}
				// Redelivery of the newest block is skipped (idempotent).
				last := w.blocks[len(w.blocks)-3]
				before := tracer.StateKVs(re)
				connect(t, re, last)
				if !equalState(before, tracer.StateKVs(re)) {
					t.Fatalf("redelivered block changed state")
				}
			})
		}
	}
}

// checkEngines puts the engines newWorldEngine makes in checked mode.
var checkEngines bool

// TestPropertiesChecked runs the property tests again with engines in
// checked mode: a sweep of unreachable hops after every block, freed slots
// never reused, and a panic on any use of a freed hop or holding — so a
// hop or holding freed while something still names it cannot go unseen
// (it would otherwise read whatever reused its slot).
func TestPropertiesChecked(t *testing.T) {
	checkEngines = true
	defer func() { checkEngines = false }()
	t.Run("conservation, determinism, undo", TestPropertyConservationDeterminismUndo)
	t.Run("persistence", TestPropertyPersistence)
}
