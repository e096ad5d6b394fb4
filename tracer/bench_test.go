package tracer_test

import (
	"context"
	"fmt"
	"math/big"
	"math/rand"
	"runtime"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/mixers/tornado"
	"github.com/chainhound/chainhound/watchlists"
)

var benchHoldings = 1_000_000

// addrLabels is a label set keyed by address alone (no allocation per
// look-up), standing in for the watchlists registry's index.
type addrLabels map[string]watchlists.Entry

func (l addrLabels) Lookup(_ chains.Chain, addr string) []watchlists.Entry {
	if e, ok := l[addr]; ok {
		return []watchlists.Entry{e}
	}
	return nil
}

func benchAddr(prefix byte, i int) string { return fmt.Sprintf("0x%c%039x", prefix, i) }

// taintedEngine builds an engine whose one incident holds taint at n
// addresses: a theft to 0xthief, split over n addresses in 1,000-transfer
// transactions.
func taintedEngine(tb testing.TB, n int, withTornado ...bool) (*tracer.Engine, []string) {
	labels := addrLabels{"0xex": {Kind: watchlists.Exchange, Label: "Ex"}}
	deps := tracer.Deps{Labels: labels}
	if len(withTornado) > 0 && withTornado[0] {
		deps.Recognisers = []tracer.Recogniser{tornado.New(labels, nil, nil)}
	}
	e, err := tracer.New(tracer.Config{FinalityDepth: map[chains.Chain]int{chains.Ethereum: 1}}, deps)
	if err != nil {
		tb.Fatal(err)
	}
	open(tb, e, watchlists.Incident{ID: "inc_b", Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}})
	ctx := context.Background()
	theft := ethBlock(1, "", []xf{{"0xvictim", "0xthief", int64(n) * 1000, false}})
	if err := e.Handle(ctx, chains.Event{Type: chains.Connected, Chain: chains.Ethereum, Block: theft, Ref: theft.Ref}); err != nil {
		tb.Fatal(err)
	}
	holders := make([]string, n)
	b := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: 2, Hash: "h2", Parent: theft.Ref.Hash}}
	amt := big.NewInt(1000)
	for i := 0; i < n; i += 1000 {
		tx := chains.Tx{Hash: fmt.Sprintf("0x%064x", i), Index: len(b.Txs), From: "0xthief"}
		for k := i; k < i+1000 && k < n; k++ {
			holders[k] = benchAddr('a', k)
			tx.Transfers = append(tx.Transfers, chains.Transfer{Kind: chains.Native, TxIndex: tx.Index, Seq: k - i, From: "0xthief", To: holders[k], Asset: chains.ETH, Amount: amt})
		}
		b.Txs = append(b.Txs, tx)
	}
	if err := e.Handle(ctx, chains.Event{Type: chains.Connected, Chain: chains.Ethereum, Block: b, Ref: b.Ref}); err != nil {
		tb.Fatal(err)
	}
	// One empty block more prunes the split's journal (finality depth 1).
	b3 := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: 3, Hash: "h3", Parent: "h2"}}
	if err := e.Handle(ctx, chains.Event{Type: chains.Connected, Chain: chains.Ethereum, Block: b3, Ref: b3.Ref}); err != nil {
		tb.Fatal(err)
	}
	return e, holders
}

// BenchmarkHoldingMemory reports the heap bytes per tainted holding
// (holding, index entry, provenance hop, anything else the engine keeps)
// with 1,000,000 of them.
func BenchmarkHoldingMemory(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		// The test drops its addresses and blocks: every byte still on the
		// heap is the engine's.
		e, _ := taintedEngine(b, benchHoldings)
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/float64(benchHoldings), "B/holding")
		if s, _ := e.Summary("inc_b"); len(s.Holders) != benchHoldings {
			b.Fatalf("%d holders", len(s.Holders))
		}
		e.Close()
	}
}

// benchBlocks makes blocks of 10,000 transfers; a share of them is sent by
// tainted holders to other tainted holders, the rest is clean traffic.
func benchBlocks(holders []string, taintedShare float64, nblocks int) []*chains.Block {
	r := rand.New(rand.NewSource(1))
	clean := make([]string, 100_000)
	for i := range clean {
		clean[i] = benchAddr('c', i)
	}
	out := make([]*chains.Block, nblocks)
	amt := big.NewInt(1)
	for n := range out {
		b := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: uint64(4 + n), Hash: fmt.Sprintf("hb%d", n)}}
		for t := 0; t < 100; t++ {
			tx := chains.Tx{Hash: fmt.Sprintf("0x%d-%d", n, t), Index: t}
			for s := 0; s < 100; s++ {
				from, to := clean[r.Intn(len(clean))], clean[r.Intn(len(clean))]
				if r.Float64() < taintedShare {
					from, to = holders[r.Intn(len(holders))], holders[r.Intn(len(holders))]
				}
				tx.Transfers = append(tx.Transfers, chains.Transfer{Kind: chains.Native, TxIndex: t, Seq: s, From: from, To: to, Asset: chains.ETH, Amount: amt})
			}
			b.Txs = append(b.Txs, tx)
		}
		out[n] = b
	}
	return out
}

// BenchmarkTransfers measures transfers per second through the engine
// with 1,000,000 tainted holdings, beside the bare cost of one map
// look-up per transfer over the same addresses.
func BenchmarkTransfers(b *testing.B) {
	e, holders := taintedEngine(b, benchHoldings)
	defer e.Close()
	// The same engine with the Tornado recogniser, which sees every
	// transaction of the live stream (none of these carries a pool's log).
	et, _ := taintedEngine(b, benchHoldings, true)
	defer et.Close()
	for _, share := range []float64{0, 0.01, 0.1} {
		blocks := benchBlocks(holders, share, 20)
		for _, c := range []struct {
			name string
			e    *tracer.Engine
		}{{"engine", e}, {"engine+tornado", et}} {
			e := c.e
			b.Run(fmt.Sprintf("%s/tainted=%g", c.name, share), func(b *testing.B) {
				ctx := context.Background()
				for i := 0; i < b.N; i++ {
					blk := blocks[i%len(blocks)]
					last, _ := e.LastBlock(chains.Ethereum)
					blk.Ref.Number, blk.Ref.Parent = last.Number+1, last.Hash
					blk.Ref.Hash = fmt.Sprintf("hb-%g-%d", share, i)
					if err := e.Handle(ctx, chains.Event{Type: chains.Connected, Chain: chains.Ethereum, Block: blk, Ref: blk.Ref}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*10_000)/b.Elapsed().Seconds(), "transfers/s")
			})
		}
		b.Run(fmt.Sprintf("baseline-map-lookup/tainted=%g", share), func(b *testing.B) {
			m := make(map[string]struct{}, len(holders))
			for _, h := range holders {
				m[h] = struct{}{}
			}
			hits := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, tx := range blocks[i%len(blocks)].Txs {
					for _, t := range tx.Transfers {
						if _, ok := m[t.From]; ok {
							hits++
						}
					}
				}
			}
			b.ReportMetric(float64(b.N*10_000)/b.Elapsed().Seconds(), "transfers/s")
			runtime.KeepAlive(hits)
		})
	}
}

// BenchmarkSplitTheft: a theft split into 100,000 pieces in one block (the
// usual laundering pattern; no share cut, min_share off by default): the
// time to apply that block and the heap per tainted holding, beside the
// bare cost of indexing the same 100,000 receivers in a Go map.
func BenchmarkSplitTheft(b *testing.B) {
	const n = 100_000
	recv := make([]string, n)
	for i := range recv {
		recv[i] = benchAddr('s', i)
	}
	split := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: 2, Hash: "h2", Parent: blockHash(chains.Ethereum, 1, "")}}
	amt := big.NewInt(1000)
	for i := 0; i < n; i += 1000 {
		tx := chains.Tx{Hash: fmt.Sprintf("0x%064x", i), Index: len(split.Txs), From: "0xthief"}
		for k := i; k < i+1000; k++ {
			tx.Transfers = append(tx.Transfers, chains.Transfer{Kind: chains.Native, TxIndex: tx.Index, Seq: k - i, From: "0xthief", To: recv[k], Asset: chains.ETH, Amount: amt})
		}
		split.Txs = append(split.Txs, tx)
	}
	ctx := context.Background()
	b.Run("engine", func(b *testing.B) {
		var perHolding float64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			e, err := tracer.New(tracer.Config{FinalityDepth: map[chains.Chain]int{chains.Ethereum: 1}}, tracer.Deps{Labels: addrLabels{}})
			if err != nil {
				b.Fatal(err)
			}
			open(b, e, watchlists.Incident{ID: "inc_s", Chain: chains.Ethereum, Policy: watchlists.Poison, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}})
			theft := ethBlock(1, "", []xf{{"0xvictim", "0xthief", n * 1000, false}})
			if err := e.Handle(ctx, chains.Event{Type: chains.Connected, Chain: chains.Ethereum, Block: theft, Ref: theft.Ref}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := e.Handle(ctx, chains.Event{Type: chains.Connected, Chain: chains.Ethereum, Block: split, Ref: split.Ref}); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b3 := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: 3, Hash: "h3", Parent: "h2"}}
			if err := e.Handle(ctx, chains.Event{Type: chains.Connected, Chain: chains.Ethereum, Block: b3, Ref: b3.Ref}); err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&m1)
			perHolding = float64(m1.HeapAlloc-m0.HeapAlloc) / n
			if s, _ := e.Summary("inc_s"); len(s.Holders) < n {
				b.Fatalf("%d holders of %d pieces", len(s.Holders), n)
			}
			e.Close()
			b.StartTimer()
		}
		b.ReportMetric(perHolding, "B/holding")
	})
	b.Run("bare-map", func(b *testing.B) {
		type holding struct{ bal, taint [2]uint64 }
		for i := 0; i < b.N; i++ {
			m := make(map[string]*holding)
			for _, t := range split.Txs {
				for k := range t.Transfers {
					m[t.Transfers[k].To] = &holding{bal: [2]uint64{1000}, taint: [2]uint64{1000}}
				}
			}
			if len(m) != n {
				b.Fatal(len(m))
			}
		}
	})
}
