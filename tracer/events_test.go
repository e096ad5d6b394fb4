package tracer_test

import (
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// TestPendingChangesNothing: a mempool transaction moving taint to an
// exchange raises a pending finding and leaves the state as it was.
func TestPendingChangesNothing(t *testing.T) {
	labels := labelMap{}
	labels.add(chains.Ethereum, "0xex", watchlists.Exchange, "Ex")
	e, log := newTestEngine(t, labels, nil, nil)
	open(t, e, watchlists.Incident{ID: "inc_1", Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}})
	connect(t, e, ethBlock(1, "", []xf{{"0xv", "0xa", 1000, false}}))
	before := tracer.StateKVs(e)
	tx := ethBlock(2, "", []xf{{"0xa", "0xex", 400, false}}).Txs[0]
	if err := e.Handle(context.Background(), chains.Event{Type: chains.Pending, Chain: chains.Ethereum, Tx: &tx}); err != nil {
		t.Fatal(err)
	}
	fs := log.ofType(tracer.ExchangeDeposit)
	if len(fs) != 1 || !fs[0].Pending || fs[0].Tainted.Int64() != 400 {
		t.Fatalf("pending findings: %+v", fs)
	}
	if !equalState(before, tracer.StateKVs(e)) {
		t.Fatalf("a pending transaction changed the state")
	}
}

// TestJournalPruning: journals deeper than the finality depth are dropped
// as blocks arrive; a Confirmed event (the alert depth, which may be
// shallower) keeps them, so a reorg deeper than the confirmations but
// within the finality depth is still undone; an undo past them fails
// loudly instead of guessing.
func TestJournalPruning(t *testing.T) {
	log := &findingLog{}
	e, err := tracer.New(tracer.Config{FinalityDepth: map[chains.Chain]int{chains.Ethereum: 3}}, tracer.Deps{Sink: log})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var blocks []*chains.Block
	for n := uint64(1); n <= 10; n++ {
		b := ethBlock(n, "", []xf{{"0xa", "0xb", 1, false}})
		blocks = append(blocks, b)
		connect(t, e, b)
	}
	if n := tracer.JournalCount(e, "ethereum"); n != 3 {
		t.Fatalf("%d journals kept, want 3", n)
	}
	if err := e.Handle(context.Background(), chains.Event{Type: chains.Confirmed, Chain: chains.Ethereum, Ref: blocks[8].Ref}); err != nil {
		t.Fatal(err)
	}
	if n := tracer.JournalCount(e, "ethereum"); n != 3 {
		t.Fatalf("%d journals after confirming block 9, want the 3 within the finality depth", n)
	}
	disconnect(t, e, blocks[9])
	disconnect(t, e, blocks[8]) // confirmed, yet still undone: within the finality depth
	disconnect(t, e, blocks[7])
	err = e.Handle(context.Background(), chains.Event{Type: chains.Disconnected, Chain: chains.Ethereum, Block: blocks[6], Ref: blocks[6].Ref})
	if err == nil {
		t.Fatal("undoing a block past the finality depth succeeded")
	}
	for _, b := range blocks[7:9] {
		connect(t, e, b)
	}
	// A block that does not extend the tip is refused: another parent, or a gap.
	for _, b := range []*chains.Block{ethBlock(10, "x"), ethBlock(11, "")} {
		if err := e.Handle(context.Background(), chains.Event{Type: chains.Connected, Chain: chains.Ethereum, Block: b, Ref: b.Ref}); err == nil {
			t.Fatalf("block %s applied on top of block 9", b.Ref)
		}
	}
	connect(t, e, blocks[9])
}

// TestCloseThenReorg: a reorg after an incident was closed does not bring
// its holdings back or reopen it.
func TestCloseThenReorg(t *testing.T) {
	e, _ := newTestEngine(t, labelMap{}, nil, nil)
	open(t, e, watchlists.Incident{ID: "inc_1", Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}})
	b1 := ethBlock(1, "", []xf{{"0xv", "0xa", 1000, false}})
	b2 := ethBlock(2, "", []xf{{"0xa", "0xb", 400, false}})
	connect(t, e, b1)
	connect(t, e, b2)
	if err := e.CloseIncident(context.Background(), "inc_1"); err != nil {
		t.Fatal(err)
	}
	disconnect(t, e, b2)
	s, _ := e.Summary("inc_1")
	if !s.Closed || len(s.Holders) != 0 {
		t.Fatalf("after close and reorg: closed %v holders %+v", s.Closed, s.Holders)
	}
	connect(t, e, b2)
	if s, _ := e.Summary("inc_1"); len(s.Holders) != 0 {
		t.Fatalf("a closed incident was traced again: %+v", s.Holders)
	}
	// Its id is not reused: its journals and stored hops are keyed by it.
	err := e.OpenIncident(context.Background(), watchlists.Incident{ID: "inc_1", Chain: chains.Ethereum, Status: watchlists.Open,
		Seeds: []watchlists.Seed{{Tx: "0x2-0"}}})
	if err == nil || !strings.Contains(err.Error(), "was closed") {
		t.Fatalf("reopening a closed incident's id: %v; want it refused", err)
	}
}

// TestWrapCarriesTaint: ETH wrapped into WETH keeps its taint, as WETH, at
// the depositor; it is found when the WETH reaches an exchange.
func TestWrapCarriesTaint(t *testing.T) {
	const weth = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
	wethAsset := chains.Asset{Symbol: "WETH", Contract: weth, Decimals: 18}
	labels := labelMap{}
	labels.add(chains.Ethereum, "0xex", watchlists.Exchange, "Ex")
	for _, pol := range policies {
		t.Run(string(pol), func(t *testing.T) {
			e, log := newTestEngine(t, labels, balanceMap{}, nil)
			open(t, e, watchlists.Incident{ID: "inc_1", Chain: chains.Ethereum, Policy: pol, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}})
			connect(t, e, ethBlock(1, "", []xf{{"0xv", "0xa", 1000, false}}))
			b2 := ethBlock(2, "", []xf{{"0xa", weth, 600, false}, {weth, "0xa", 600, false}})
			b2.Txs[0].Transfers[1].Kind, b2.Txs[0].Transfers[1].Asset = chains.Wrap, wethAsset
			connect(t, e, b2)
			b3 := ethBlock(3, "", []xf{{"0xa", "0xex", 600, false}})
			b3.Txs[0].Transfers[0].Kind, b3.Txs[0].Transfers[0].Asset = chains.Token, wethAsset
			connect(t, e, b3)
			fs := log.ofType(tracer.ExchangeDeposit)
			if len(fs) != 1 || fs[0].Tainted.Int64() != 600 || fs[0].Asset.Contract != weth || fs[0].Hops != 4 || fs[0].Path[1].To != weth || fs[0].Path[2].From != weth {
				t.Fatalf("deposits: %+v", fs)
			}
			if s, _ := e.Summary("inc_1"); pol != watchlists.Poison && s.Tainted[""].Int64() != 400 {
				t.Fatalf("ETH still tainted: %v, want 400", s.Tainted)
			}
		})
	}
}

// TestSummaryOrderIsStable: holders with equal taint at one address (ETH
// and a token stolen in one transaction) are ordered by asset, not in the
// order the index visits them (which follows a per-process hash seed, so
// without the tie-break the order changed from one run to the next).
func TestSummaryOrderIsStable(t *testing.T) {
	tok := chains.Asset{Symbol: "TOK", Contract: "0x00000000000000000000000000000000000000aa", Decimals: 6}
	theft := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: 1, Hash: blockHash(chains.Ethereum, 1, "")}}
	tx := chains.Tx{Hash: "0x1-0", From: "0xvictim"}
	for i, asset := range []chains.Asset{tok, chains.ETH} {
		kind := chains.Token
		if asset == chains.ETH {
			kind = chains.Native
		}
		tx.Transfers = append(tx.Transfers, chains.Transfer{Kind: kind, Seq: i, LogIndex: i - 1, From: "0xvictim", To: "0xthief", Asset: asset, Amount: big.NewInt(500)})
	}
	theft.Txs = []chains.Tx{tx}
	e, _ := newTestEngine(t, labelMap{}, nil, nil)
	open(t, e, watchlists.Incident{ID: "inc_s", Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}})
	connect(t, e, theft)
	s, _ := e.Summary("inc_s")
	var got []string
	for _, h := range s.Holders {
		got = append(got, h.Address+"/"+h.Asset)
	}
	if want := []string{"0xthief/", "0xthief/" + tok.Contract}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("holders %v; want %v (equal taint: by asset key, ETH's \"\" first)", got, want)
	}
}
