package tracer_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// labelKeeper keeps learned entries in the engine's own label map, as the
// daemon keeps them in its watchlist, and logs what it drops.
type labelKeeper struct {
	labels  labelMap
	dropped []string
}

func (k *labelKeeper) Keep(_ context.Context, l tracer.Learned) error {
	k.labels[string(l.Chain)+"|"+l.Address] = l.Entry()
	return nil
}

func (k *labelKeeper) Drop(_ context.Context, l tracer.Learned) error {
	delete(k.labels, string(l.Chain)+"|"+l.Address)
	k.dropped = append(k.dropped, l.Address)
	return nil
}

func (k *labelKeeper) has(c chains.Chain, addr string) (watchlists.Entry, bool) {
	e, ok := k.labels[string(c)+"|"+addr]
	return e, ok && e.Label == "Hot deposit (learned)"
}

// TestLearnedUndoneWithTheSweep: a deposit address learned from a sweep
// is forgotten when the engine undoes the sweep's block (a reorg); the new
// branch without the sweep teaches nothing, and a sweep on it teaches the
// address again. The same on Bitcoin.
func TestLearnedUndoneWithTheSweep(t *testing.T) {
	labels := labelMap{}
	labels.add(chains.Ethereum, "0xhot", watchlists.Exchange, "Hot")
	labels.add(chains.Bitcoin, "hot", watchlists.Exchange, "Hot")
	keeper := &labelKeeper{labels: labels}
	book := tracer.NewLearnedBook(keeper, 0)
	prev := prevoutMap{op("f0", 0): {Index: 0, Value: 50_000, Address: "dep", Class: chains.P2WPKH}}
	e, err := tracer.New(tracer.Config{}, tracer.Deps{Labels: labels, Learner: book, Prevouts: prev,
		Balances: balances{"0xdep": 1000}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	sweep := []xf{{"0xdep", "0xhot", 990, false}, {"0xdep", "", 7, true}}
	other := []xf{{"0xother", "0xelse", 5, false}}

	b1 := ethBlock(1, "", other)
	b2 := ethBlock(2, "", sweep)
	connect(t, e, b1)
	connect(t, e, b2)
	if _, ok := keeper.has(chains.Ethereum, "0xdep"); !ok {
		t.Fatal("sweep not learned")
	}
	disconnect(t, e, b2)
	if _, ok := keeper.has(chains.Ethereum, "0xdep"); ok || book.Len() != 0 {
		t.Fatalf("learned address kept after its sweep's block was undone (book holds %d)", book.Len())
	}
	b2x := ethBlock(2, "x", other)
	b2x.Ref.Parent = b1.Ref.Hash
	connect(t, e, b2x)
	if _, ok := keeper.has(chains.Ethereum, "0xdep"); ok {
		t.Fatal("learned on a branch without the sweep")
	}
	b3x := ethBlock(3, "x", sweep)
	connect(t, e, b3x)
	if en, ok := keeper.has(chains.Ethereum, "0xdep"); !ok || en.Source == "" {
		t.Fatal("the sweep on the new branch did not teach the address again")
	}

	// Bitcoin: the sweep's block undone, the address forgotten.
	s := btcBlock(7, "", utx{ins: []chains.Outpoint{op("f0", 0)}, outs: outs("hot", 49_000)})
	connect(t, e, s)
	if _, ok := keeper.has(chains.Bitcoin, "dep"); !ok {
		t.Fatal("bitcoin sweep not learned")
	}
	disconnect(t, e, s)
	if _, ok := keeper.has(chains.Bitcoin, "dep"); ok {
		t.Fatal("bitcoin learned address kept after its sweep's block was undone")
	}
}

// TestLearnedBook: an address taught by two sweeps stays until both
// blocks are undone; the book keeps at most its bound, forgetting the
// oldest learned; what a stored entry says (ParseLearned) is restored and
// undone by its block's height.
func TestLearnedBook(t *testing.T) {
	ctx := context.Background()
	hot := watchlists.Entry{Chain: chains.Ethereum, Address: "0xhot", Kind: watchlists.Exchange, Label: "Hot", Owner: "o"}
	at := func(addr string, n uint64) tracer.Learned {
		return tracer.Learned{Chain: chains.Ethereum, Address: addr, Exchange: hot, Tx: fmt.Sprintf("0xt%d", n), Block: n, BlockHash: fmt.Sprintf("h%d", n), Confidence: 0.9}
	}
	ref := func(n uint64) chains.BlockRef { return chains.BlockRef{Number: n, Hash: fmt.Sprintf("h%d", n)} }

	k := &labelKeeper{labels: labelMap{}}
	b := tracer.NewLearnedBook(k, 3)
	for _, l := range []tracer.Learned{at("0xa", 5), at("0xa", 6)} {
		if err := b.Learn(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	b.Undo(ctx, chains.Ethereum, ref(6))
	if _, ok := k.has(chains.Ethereum, "0xa"); !ok {
		t.Fatal("0xa forgotten while the sweep of block 5 still teaches it")
	}
	b.Undo(ctx, chains.Ethereum, chains.BlockRef{Number: 5, Hash: "other"})
	if _, ok := k.has(chains.Ethereum, "0xa"); !ok {
		t.Fatal("0xa forgotten by the undo of another block at height 5")
	}
	b.Undo(ctx, chains.Ethereum, ref(5))
	if _, ok := k.has(chains.Ethereum, "0xa"); ok {
		t.Fatal("0xa kept after both its sweeps were undone")
	}

	for i, a := range []string{"0x1", "0x2", "0x3", "0x4", "0x5"} {
		if err := b.Learn(ctx, at(a, uint64(10+i))); err != nil {
			t.Fatal(err)
		}
	}
	if b.Len() != 3 || len(k.labels) != 3 {
		t.Fatalf("book holds %d, keeper %d; want the bound 3", b.Len(), len(k.labels))
	}
	for _, a := range []string{"0x3", "0x4", "0x5"} {
		if _, ok := k.has(chains.Ethereum, a); !ok {
			t.Fatalf("%s (among the newest three) was dropped; dropped %v", a, k.dropped)
		}
	}

	// A restart: the stored entries come back by ParseLearned, without a
	// block hash; undoing block 14 forgets 0x5.
	var ls []tracer.Learned
	for _, en := range k.labels {
		l, ok := tracer.ParseLearned(en)
		if !ok {
			t.Fatalf("stored learned entry %+v not understood", en)
		}
		ls = append(ls, l)
	}
	if _, ok := tracer.ParseLearned(hot); ok {
		t.Fatal("an exchange entry that was not learned parsed as learned")
	}
	b2 := tracer.NewLearnedBook(k, 2)
	if err := b2.Restore(ctx, ls); err != nil {
		t.Fatal(err)
	}
	if b2.Len() != 2 {
		t.Fatalf("restored %d, want the bound 2", b2.Len())
	}
	if _, ok := k.has(chains.Ethereum, "0x3"); ok {
		t.Fatal("the oldest restored entry beyond the bound was kept")
	}
	b2.Undo(ctx, chains.Ethereum, chains.BlockRef{Number: 14, Hash: "whatever"})
	if _, ok := k.has(chains.Ethereum, "0x5"); ok || b2.Len() != 1 {
		t.Fatalf("restored 0x5 kept after block 14 was undone (book %d)", b2.Len())
	}
}
