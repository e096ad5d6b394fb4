package screening_test

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/screening"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// btcAddr returns the n-th generated P2WPKH mainnet address.
func btcAddr(tb testing.TB, n int) string {
	tb.Helper()
	var h [20]byte
	h[0], h[19] = byte(n>>8), byte(n)
	a, err := address.NewAddressWitnessPubKeyHash(h[:], &chaincfg.MainNetParams)
	if err != nil {
		tb.Fatal(err)
	}
	return a.EncodeAddress()
}

// utxoTx is one generated transaction: inputs (address, satoshi; value
// -1: not resolved) and outputs.
type utxoTx struct {
	ins  [][2]any
	outs [][2]any
}

// writeBtcIndex stores the Bitcoin index records of blocks 1…len(blocks).
func writeBtcIndex(tb testing.TB, st interface {
	SaveTracer(context.Context, []tracer.KV, [][]byte) error
}, blocks [][]utxoTx) []string {
	tb.Helper()
	var puts []tracer.KV
	var ids []string
	for i, txs := range blocks {
		h := uint64(i + 1)
		b := &chains.Block{Chain: chains.Bitcoin, Ref: chains.BlockRef{Number: h, Hash: fmt.Sprintf("%064x", h)}}
		for k, tx := range txs {
			id := fmt.Sprintf("%062x%02x", h, k)
			ids = append(ids, id)
			ct := chains.Tx{Hash: id, Index: k}
			for j, in := range tx.ins {
				v := int64(in[1].(int))
				ct.Inputs = append(ct.Inputs, chains.Input{Prev: chains.Outpoint{Tx: fmt.Sprintf("%064x", 9000+j), Index: uint32(j)},
					Address: in[0].(string), Value: max(v, 0), Resolved: v >= 0})
			}
			for j, o := range tx.outs {
				ct.Outputs = append(ct.Outputs, chains.Output{Index: uint32(j), Address: o[0].(string), Value: int64(o[1].(int)), Class: chains.P2WPKH})
			}
			b.Txs = append(b.Txs, ct)
		}
		puts = append(puts, tracer.IndexKVs(b)...)
	}
	puts = append(puts, tracer.IndexMetaKV(chains.Bitcoin, 1, uint64(len(blocks))))
	if err := st.SaveTracer(context.Background(), puts, nil); err != nil {
		tb.Fatal(err)
	}
	return ids
}

// heldOutpoints is an engine's Bitcoin holdings by outpoint.
type heldOutpoints map[string][]screening.Holding

func (h heldOutpoints) Holdings(chains.Chain, string) []screening.Holding { return nil }
func (h heldOutpoints) OutpointHoldings(_ chains.Chain, outs map[string]bool) map[string][]screening.Holding {
	m := map[string][]screening.Holding{}
	for o, hs := range h {
		if outs[o] {
			m[o] = hs
		}
	}
	return m
}

// Bitcoin over the index's block records, to the satoshi: a payment
// from a DPRK-listed address is one hop; two hops carry the listed
// sender's proportional part of a transaction's inputs (by value when
// resolved, by count when not) and then the intermediary's haircut
// share; change back to an input address is not a payment; an
// incident's taint held by an outpoint that paid the address is direct;
// the window's bound is noted.
func TestScreenBitcoinHops(t *testing.T) {
	st := openStore(t)
	dprkA, midA, payeeA, otherA, cleanA, funderA, farA := btcAddr(t, 1), btcAddr(t, 2), btcAddr(t, 3), btcAddr(t, 4), btcAddr(t, 5), btcAddr(t, 6), btcAddr(t, 7)
	ids := writeBtcIndex(t, st, [][]utxoTx{
		// 1: dprk and funder (resolved, 3:1) pay mid 80,000 and dprk its
		// change (not mid's inflow from dprk… but dprk's change).
		{{ins: [][2]any{{dprkA, 300_000}, {funderA, 100_000}}, outs: [][2]any{{midA, 80_000}, {dprkA, 310_000}}}},
		// 2: funder pays mid 40,000 alone; mid's change of a spend of its
		// own is not its inflow.
		{{ins: [][2]any{{funderA, 50_000}}, outs: [][2]any{{midA, 40_000}}},
			{ins: [][2]any{{midA, 10_000}}, outs: [][2]any{{otherA, 1_000}, {midA, 8_000}}}},
		// 3: mid pays payee 60,000; dprk and an unresolved input of
		// other pay far 9,001 (by count: 4,501 and 4,500).
		{{ins: [][2]any{{midA, 120_000}}, outs: [][2]any{{payeeA, 60_000}, {midA, 59_000}}},
			{ins: [][2]any{{dprkA, -1}, {otherA, -1}}, outs: [][2]any{{farA, 9_001}}}},
		// 4: funder pays clean.
		{{ins: [][2]any{{funderA, 10_000}}, outs: [][2]any{{cleanA, 5_000}}}},
	})
	reg := registry(t, st, watchlists.Entry{Chain: chains.Bitcoin, Address: dprkA, Kind: watchlists.Stolen, Label: "DPRK-attributed (Lazarus)"})
	held := heldOutpoints{ids[3] + ":0": {{Incident: "inc1", Title: "exchange hack", Asset: chains.BTC, Amount: big.NewInt(25_000), Hops: 2}}}
	s := screening.New(screening.Config{}, reg, held, tracer.NewIndexReader(st))
	ctx := context.Background()

	// mid received 80,000 of which dprk's part is 60,000 (3/4), and
	// 40,000 from funder: 60,000 at 1 hop, share 60/120.
	r, err := s.Screen(ctx, chains.Bitcoin, midA)
	if err != nil || r.Risk != screening.Severe || len(r.Indirect) != 1 {
		t.Fatalf("mid: %+v %v", r, err)
	}
	if e := r.Indirect[0]; e.Category != screening.DPRK || e.Hops != 1 || e.Amount != "60000" || e.Share != 0.5 || e.Asset != "BTC" ||
		len(e.Path) != 1 || e.Path[0].Tx != ids[0] || e.Path[0].From != dprkA || e.Path[0].To != midA || e.Path[0].Amount != "60000" {
		t.Fatalf("mid's exposure %+v", e)
	}

	// payee: 60,000 from mid, of which 60,000 × 60,000/120,000 = 30,000
	// is dprk's, at two hops; and it holds 25,000 of an incident's taint.
	r, err = s.Screen(ctx, chains.Bitcoin, payeeA)
	if err != nil || r.Risk != screening.Severe || len(r.Indirect) != 1 || len(r.Direct) != 1 {
		t.Fatalf("payee: %+v %v", r, err)
	}
	if e := r.Indirect[0]; e.Category != screening.DPRK || e.Hops != 2 || e.Risk != screening.High || e.Amount != "30000" || e.Share != 0.5 ||
		len(e.Path) != 2 || e.Path[0].Tx != ids[0] || e.Path[1].Tx != ids[3] || e.Path[1].From != midA || e.Path[1].To != payeeA || e.Path[1].Amount != "60000" {
		t.Fatalf("payee's exposure %+v", e)
	}
	if e := r.Direct[0]; e.Category != screening.Stolen || e.Label != "exchange hack" || e.Amount != "25000" || e.Risk != screening.Severe {
		t.Fatalf("payee's holding %+v", e)
	}

	// far: unresolved inputs split by count, the odd satoshi to the first.
	r, err = s.Screen(ctx, chains.Bitcoin, farA)
	if err != nil || len(r.Indirect) != 1 || r.Indirect[0].Amount != "4501" || r.Indirect[0].Hops != 1 {
		t.Fatalf("far: %+v %v", r, err)
	}

	// other was paid by mid only (1,000, clean of dprk at one hop, two
	// hops: 1,000 × 60,000/120,000 = 500).
	r, err = s.Screen(ctx, chains.Bitcoin, otherA)
	if err != nil || len(r.Indirect) != 1 || r.Indirect[0].Amount != "500" || r.Indirect[0].Hops != 2 {
		t.Fatalf("other: %+v %v", r, err)
	}

	if r, err := s.Screen(ctx, chains.Bitcoin, cleanA); err != nil || r.Risk != screening.None || len(r.Direct)+len(r.Indirect) != 0 || len(r.Notes) != 0 {
		t.Fatalf("clean: %+v %v", r, err)
	}

	// Reading only the latest 2 blocks that paid an address (of mid's 3)
	// misses dprk's payment in block 1, and the note says so.
	s2 := screening.New(screening.Config{MaxBlocks: 2}, reg, nil, tracer.NewIndexReader(st))
	r, err = s2.Screen(ctx, chains.Bitcoin, midA)
	if err != nil || r.Risk != screening.None || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "latest blocks") {
		t.Fatalf("mid's latest 2 blocks: %+v %v", r, err)
	}
}

// The generated Bitcoin chain of BenchmarkScreenBitcoin: btcBenchBlocks
// blocks of btcBenchTxs transactions, each two resolved inputs and two
// outputs among btcBenchAddrs addresses, 100 of them DPRK-listed.
const (
	btcBenchBlocks = 64
	btcBenchTxs    = 2000
	btcBenchAddrs  = 200000
)

// BenchmarkScreenBitcoin screens random addresses over the index's
// Bitcoin address entries: a hop reads the blocks that paid each address
// of the level, each block once, so its cost is about the blocks read ×
// the bare cost of reading one block record back (bare-read-block).
// index-bytes is what the index writes per block: the record and the
// address entries (one per address the block's outputs pay).
func BenchmarkScreenBitcoin(b *testing.B) {
	st := openStore(b)
	rng := rand.New(rand.NewPCG(3, 4))
	pool := make([]string, btcBenchAddrs+1)
	for i := 1; i <= btcBenchAddrs; i++ {
		pool[i] = btcAddr(b, i)
	}
	pick := func() string { return pool[1+rng.IntN(btcBenchAddrs)] }
	blocks := make([][]utxoTx, btcBenchBlocks)
	for i := range blocks {
		txs := make([]utxoTx, btcBenchTxs)
		for k := range txs {
			txs[k] = utxoTx{ins: [][2]any{{pick(), 1 + rng.IntN(1e8)}, {pick(), 1 + rng.IntN(1e8)}},
				outs: [][2]any{{pick(), 1 + rng.IntN(1e8)}, {pick(), 1 + rng.IntN(1e8)}}}
		}
		blocks[i] = txs
	}
	writeBtcIndex(b, st, blocks)
	var es []watchlists.Entry
	for i := 1; i <= 100; i++ {
		es = append(es, watchlists.Entry{Chain: chains.Bitcoin, Address: pool[i*(btcBenchAddrs/100)], Kind: watchlists.Stolen, Label: "DPRK (Lazarus)"})
	}
	reg := registry(b, st, es...)
	idx := tracer.NewIndexReader(st)
	ctx := context.Background()
	b.Run("index-bytes", func(b *testing.B) {
		one := tracer.NewIndexReader(st)
		blk, err := one.Block(ctx, chains.Bitcoin, 1)
		if err != nil {
			b.Fatal(err)
		}
		var rec, entries int
		for b.Loop() {
			rec, entries = 0, 0
			for i, kv := range tracer.IndexKVs(blk) {
				if i == 0 {
					rec += len(kv.Key) + len(kv.Value)
				} else {
					entries += len(kv.Key) + len(kv.Value)
				}
			}
		}
		b.ReportMetric(float64(rec), "record-B/block")
		b.ReportMetric(float64(entries), "entries-B/block")
	})
	b.Run("bare-read-block", func(b *testing.B) {
		for b.Loop() {
			if _, err := idx.Block(ctx, chains.Bitcoin, 1+uint64(rng.IntN(btcBenchBlocks))); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, hops := range []int{-1, 1, 2} {
		s := screening.New(screening.Config{Hops: hops}, reg, nil, idx)
		b.Run(fmt.Sprintf("hops-%d", max(hops, 0)), func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				if _, err := s.Screen(ctx, chains.Bitcoin, pick()); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
