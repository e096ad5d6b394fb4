package ethereum

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

func indexEngine(tb testing.TB, index bool) *tracer.Engine {
	tb.Helper()
	st, err := pebble.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	e, err := tracer.New(tracer.Config{Index: tracer.IndexConfig{Enabled: index}}, tracer.Deps{Store: st})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close() })
	return e
}

// TestIndexMainnetRoundTrip: two real mainnet blocks come back from the
// transfer index as the follower made them.
func TestIndexMainnetRoundTrip(t *testing.T) {
	e := indexEngine(t, true)
	ctx := context.Background()
	var want []*chains.Block
	for _, n := range fixtureBlocks {
		b := decodeFixture(t, n)
		want = append(want, b)
		if err := e.Handle(ctx, chains.Event{Type: chains.Connected, Chain: b.Chain, Block: b, Ref: b.Ref}); err != nil {
			t.Fatal(err)
		}
	}
	src := e.Source(chains.Ethereum, nil)
	for _, b := range want {
		got, err := src.BlockByNumber(ctx, b.Ref.Number)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", b) {
			t.Fatalf("block %d from the index differs from the follower's", b.Ref.Number)
		}
	}
}

// BenchmarkIndex: the transfer index's bytes per transfer on two mainnet
// blocks (no call traces in the fixture: no internal transfers), the bare
// cost of encoding them, and the engine's block (apply and its synced
// batch) with the index off and on. One op is one block.
func BenchmarkIndex(b *testing.B) {
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.DiscardHandler))
	for _, n := range fixtureBlocks {
		blk := decodeFixture(b, n)
		transfers := 0
		for _, tx := range blk.Txs {
			transfers += len(tx.Transfers)
		}
		kvs := tracer.IndexKVs(blk)
		rec, entries := 0, 0
		for i, kv := range kvs {
			if i == 0 {
				rec = len(kv.Key) + len(kv.Value)
			} else {
				entries += len(kv.Key) + len(kv.Value)
			}
		}
		b.Run(fmt.Sprintf("%d/encode", n), func(b *testing.B) {
			for b.Loop() {
				tracer.IndexKVs(blk)
			}
			b.ReportMetric(float64(transfers), "transfers")
			b.ReportMetric(float64(rec)/float64(transfers), "record-B/transfer")
			b.ReportMetric(float64(entries)/float64(transfers), "address-B/transfer")
			b.ReportMetric(float64(len(kvs)-1), "address-entries")
		})
		for _, index := range []bool{false, true} {
			b.Run(fmt.Sprintf("%d/block/index=%v", n, index), func(b *testing.B) {
				e := indexEngine(b, index)
				ctx := context.Background()
				// Taint in play: the block's first transaction is a theft.
				if err := e.OpenIncident(ctx, watchlists.Incident{ID: "inc_b", Chain: chains.Ethereum, Status: watchlists.Open, Seeds: []watchlists.Seed{{Tx: blk.Txs[0].Hash}}}); err != nil {
					b.Fatal(err)
				}
				h := uint64(0)
				for b.Loop() {
					h++
					c := *blk
					c.Ref = chains.BlockRef{Number: h, Hash: fmt.Sprintf("0x%064x", h), Time: blk.Ref.Time}
					if err := e.Handle(ctx, chains.Event{Type: chains.Connected, Chain: c.Chain, Block: &c, Ref: c.Ref}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
