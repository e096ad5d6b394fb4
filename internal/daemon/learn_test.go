package daemon

import (
	"context"
	"log/slog"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// TestLearnedInTheWatchlist: what the book learns is a watchlist entry;
// undoing the sweep's block removes it; a daemon restarted on the same
// watchlist holds it again and still forgets it with its block; an entry
// the operator added at the same address in between is never removed.
func TestLearnedInTheWatchlist(t *testing.T) {
	ctx := context.Background()
	reg := watchlists.NewRegistry(nil, watchlists.Networks{chains.Ethereum: "mainnet"})
	hot := watchlists.Entry{Chain: chains.Ethereum, Address: "0x28c6c06298d514db089934071355e5743bf21d60", Kind: watchlists.Exchange, Label: "Hot", Owner: "exch"}
	dep, dep2 := "0x1000000000000000000000000000000000000001", "0x1000000000000000000000000000000000000002"
	learned := func(addr string) bool {
		for _, e := range reg.Lookup(chains.Ethereum, addr) {
			if _, ok := tracer.ParseLearned(e); ok {
				return true
			}
		}
		return false
	}
	b, err := learnedBook(ctx, reg, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []tracer.Learned{
		{Chain: chains.Ethereum, Address: dep, Exchange: hot, Tx: "0xaa", Block: 7, BlockHash: "0xh7", Confidence: 0.9},
		{Chain: chains.Ethereum, Address: dep2, Exchange: hot, Tx: "0xbb", Block: 8, BlockHash: "0xh8", Confidence: 0.9},
	} {
		if err := b.Learn(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	if !learned(dep) || !learned(dep2) {
		t.Fatal("learned addresses not in the watchlist")
	}
	b.Undo(ctx, chains.Ethereum, chains.BlockRef{Number: 8, Hash: "0xh8"})
	if learned(dep2) || !learned(dep) {
		t.Fatal("undoing block 8 must remove its address alone")
	}

	// A restart: the book is rebuilt from the watchlist.
	b, err = learnedBook(ctx, reg, slog.Default())
	if err != nil || b.Len() != 1 {
		t.Fatalf("restored book holds %d (%v), want 1", b.Len(), err)
	}
	// The operator's own entry at dep replaces the learned one (same owner
	// and kind): the undo of block 7 leaves it.
	own := watchlists.Entry{Chain: chains.Ethereum, Address: dep, Kind: watchlists.Exchange, Label: "Exch deposit", Owner: "exch", Source: "operator"}
	if _, err := reg.Add(ctx, own); err != nil {
		t.Fatal(err)
	}
	b.Undo(ctx, chains.Ethereum, chains.BlockRef{Number: 7, Hash: "0xother"})
	if es := reg.Lookup(chains.Ethereum, dep); len(es) != 1 || es[0].Label != "Exch deposit" {
		t.Fatalf("after the undo: %+v, want the operator's entry", es)
	}
}
