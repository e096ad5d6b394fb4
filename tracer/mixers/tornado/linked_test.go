package tornado_test

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/mixers/tornado"
)

// pay is a plain transaction from from to to (one unit): an interaction
// outside Tornado.
func pay(from, to string) tx {
	return tx{from: from, to: to, gas: 3, transfers: [][3]any{{from, to, 1}}}
}

// TestLinkedAddress (Tutela heuristic 3, arXiv 2201.06811; tutela-app's
// run_linked_tx_heuristic.py with its default of 3 interactions): the
// thief deposits a note into a pool of ten; the withdrawal's recipient and
// the thief then deal with each other outside Tornado. Three transactions
// in one direction tie the withdrawal to the thief's deposit; two do not,
// nor do two and one the other way (Tutela counts each direction), nor
// transactions through Tornado, nor a depositor into another pool.
func TestLinkedAddress(t *testing.T) {
	viaTornado := withdraw(thief, fresh, 0, 8) // the thief sends a withdrawal paying fresh: through Tornado
	viaTornado.to = pool
	cases := []struct {
		name   string
		before []tx // blocks of interactions after the deposit, one tx each
		link   bool
	}{
		{"two interactions", []tx{pay(thief, fresh), pay(thief, fresh)}, false},
		{"three interactions", []tx{pay(thief, fresh), pay(thief, fresh), pay(thief, fresh)}, true},
		{"three received", []tx{pay(fresh, thief), pay(fresh, thief), pay(fresh, thief)}, true},
		{"two sent, one received", []tx{pay(thief, fresh), pay(thief, fresh), pay(fresh, thief)}, false},
		{"third through Tornado", []tx{pay(thief, fresh), pay(thief, fresh), viaTornado}, false},
		{"with others", []tx{pay(thief, fresh), pay(thief, addr(70)), pay(thief, fresh), pay(addr(71), thief), pay(thief, fresh)}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, s := engine(t, nil, new(float64))
			openIncident(t, e)
			connect(t, e, theft(9)...)
			connect(t, e, block(3, "", deposit(thief, 50)))
			for i, x := range c.before {
				connect(t, e, block(uint64(4+i), "", x))
			}
			n := uint64(4 + len(c.before))
			connect(t, e, block(n, "", withdraw(relayer, fresh, 0, 7)))
			ws := s.Of(tracer.MixerWithdrawal)
			w := ws[len(ws)-1]
			if w.To != fresh {
				t.Fatalf("last withdrawal to %s, want %s", w.To, fresh)
			}
			linked := slices.Equal(w.Heuristics, []string{tornado.LinkedAddress})
			if linked != c.link {
				t.Fatalf("heuristics %v confidence %v, want linked %v", w.Heuristics, w.Confidence, c.link)
			}
			if c.link && (w.Confidence != 0.9 || w.Tainted.Int64() != 90) {
				t.Fatalf("linked withdrawal confidence %v tainted %s, want 0.9 and 90", w.Confidence, w.Tainted)
			}
			if !c.link && len(w.Heuristics) != 0 {
				t.Fatalf("heuristics %v, want the pool's share", w.Heuristics)
			}
		})
	}
}

// TestLinkedAddressOtherPool: the thief's tainted note is in the 10 pool
// only; three interactions with the recipient do not tie a withdrawal
// from the 100 pool (which holds another incident-tainted note) to it,
// but do tie one from the 10 pool.
func TestLinkedAddressOtherPool(t *testing.T) {
	e, s := engine(t, nil, new(float64))
	openIncident(t, e)
	other := addr(77)
	connect(t, e, theft(9)...)
	connect(t, e, block(3, "", tx{from: thief, to: other, gas: 2, transfers: [][3]any{{thief, other, 100}}}))
	connect(t, e, block(4, "", depositTo(pool10, thief, 70), deposit(other, 51)))
	connect(t, e, block(5, "", pay(thief, fresh)), block(6, "", pay(thief, fresh)), block(7, "", pay(thief, fresh)))
	connect(t, e, block(8, "", withdraw(relayer, fresh, 0, 7)))
	ws := s.Of(tracer.MixerWithdrawal)
	if len(ws) != 1 || len(ws[0].Heuristics) != 0 {
		t.Fatalf("withdrawal from the 100 pool: %+v, want one with no heuristic", ws)
	}
	connect(t, e, block(9, "", withdrawFrom(pool10, fresh, 70)))
	ws = s.Of(tracer.MixerWithdrawal)
	if len(ws) != 2 || !slices.Equal(ws[1].Heuristics, []string{tornado.LinkedAddress}) {
		t.Fatalf("withdrawal from the 10 pool: %+v, want linked_address", ws[len(ws)-1])
	}
}

// TestLinkedAddressReorg: the third interaction's block is undone by a
// reorg; its count goes with it, and the withdrawal on the new branch is
// the pool's share.
func TestLinkedAddressReorg(t *testing.T) {
	e, s := engine(t, nil, new(float64))
	openIncident(t, e)
	connect(t, e, theft(9)...)
	connect(t, e, block(3, "", deposit(thief, 50)), block(4, "", pay(thief, fresh)), block(5, "", pay(thief, fresh)))
	third := block(6, "", pay(thief, fresh))
	connect(t, e, third)
	if err := e.Handle(context.Background(), chains.Event{Type: chains.Disconnected, Chain: chains.Ethereum, Block: third, Ref: third.Ref}); err != nil {
		t.Fatal(err)
	}
	b6 := block(6, "x", withdraw(relayer, fresh, 0, 7))
	b6.Ref.Parent = third.Ref.Parent
	connect(t, e, b6)
	ws := s.Of(tracer.MixerWithdrawal)
	if len(ws) != 1 || len(ws[0].Heuristics) != 0 {
		t.Fatalf("after the reorg: %+v, want the pool's share", ws)
	}
}

// TestLinkedAddressCounts drives the recogniser alone: a tainted
// depositor is followed from its deposit, counted per counterparty, and
// forgotten once its last tainted deposit is matched.
func TestLinkedAddressCounts(t *testing.T) {
	l := poolLabels()
	r := tornado.New(l, nil, nil)
	st := mapState{}
	ctx := context.Background()
	feed := func(b *chains.Block, deps []tracer.Deposit) {
		t.Helper()
		for i := range b.Txs {
			if _, err := r.Recognise(ctx, st, b, &b.Txs[i], deps); err != nil {
				t.Fatal(err)
			}
		}
	}
	feed(block(2, "", pay(thief, fresh)), nil) // before the deposit: not followed
	if _, ok := tornado.Interactions(st, thief, fresh); ok {
		t.Fatal("followed before any tainted deposit")
	}
	d := block(3, "", deposit(thief, 50))
	feed(d, []tracer.Deposit{{Incident: "inc", Service: pool, From: thief, Asset: chains.ETH, Amount: big.NewInt(denom), Tainted: big.NewInt(denom)}})
	feed(block(4, "", pay(thief, fresh), pay(fresh, thief), pay(thief, fresh)), nil)
	if n, ok := tornado.Interactions(st, thief, fresh); !ok || n != 2 {
		t.Fatalf("interactions %d (followed %v), want 2", n, ok)
	}
	feed(block(5, "", pay(thief, fresh)), nil)
	feed(block(6, "", withdraw(relayer, fresh, 0, 7)), nil)
	if _, ok := tornado.Interactions(st, thief, fresh); ok {
		t.Fatal("still followed after its only tainted deposit was linked")
	}
}

// TestLinkedAddressBound: a depositor's counterparties are at most
// MaxPeers; a new one takes the place of the oldest seen once, and is
// not counted when every one was seen more often.
func TestLinkedAddressBound(t *testing.T) {
	var addrs []string
	var counts []uint32
	for i := range tornado.MaxPeers {
		addrs = append(addrs, fmt.Sprint(i))
		counts = append(counts, 2)
	}
	if got := tornado.Bump(addrs, counts, "new"); len(got) != tornado.MaxPeers || slices.Contains(got, "new") {
		t.Fatalf("full of repeat counterparties: %d, new counted %v", len(got), slices.Contains(got, "new"))
	}
	counts[5], counts[9] = 1, 1
	got := tornado.Bump(addrs, counts, "new")
	if len(got) != tornado.MaxPeers || slices.Contains(got, "5") || !slices.Contains(got, "9") || got[len(got)-1] != "new" {
		t.Fatalf("after a new counterparty: %v, want 5 replaced by new", got)
	}
}
