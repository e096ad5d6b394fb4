package tracer_test

import (
	"context"
	"fmt"
	"math/big"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// mover is a recogniser that, on one transaction, moves part of the taint
// parked at a service to an address, as a mixer's withdrawal would.
type mover struct {
	name, onTx, service, to string
	take, amount            int64
	calls                   int
}

func (m *mover) Name() string { return m.name }

func (m *mover) Recognise(_ context.Context, _ tracer.State, _ *chains.Block, tx *chains.Tx, _ []tracer.Deposit) ([]tracer.Move, error) {
	m.calls++
	if tx.Hash != m.onTx {
		return nil, nil
	}
	return []tracer.Move{{Incident: "inc_r", Service: m.service, Asset: chains.ETH, Take: big.NewInt(m.take),
		Amount: big.NewInt(m.amount), Chain: chains.Ethereum, To: m.to, ToAsset: chains.ETH,
		Type: tracer.MixerWithdrawal, Confidence: 0.25}}, nil
}

// recogniserWorld: a theft of 1,000 to 0xthief, 600 of it deposited to
// the mixer 0xmix (parked there), and in block 3 a withdrawal transaction
// the recognisers answer.
func recogniserWorld() []*chains.Block {
	return []*chains.Block{
		ethBlock(1, "", []xf{{"0xvictim", "0xthief", 1000, false}}),
		ethBlock(2, "", []xf{{"0xthief", "0xmix", 600, false}}),
		ethBlock(3, "", []xf{{"0xrelayer", "0xother", 1, false}}),
	}
}

func recogniserEngine(t *testing.T, store tracer.Store, rs ...tracer.Recogniser) (*tracer.Engine, *findingLog) {
	t.Helper()
	labels := labelMap{}
	labels.add(chains.Ethereum, "0xmix", watchlists.Mixer, "Mixer")
	log := &findingLog{}
	e, err := tracer.New(tracer.Config{}, tracer.Deps{Labels: labels, Sink: log, Store: store, Recognisers: rs})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	tracer.Check(e) // every block swept; a freed hop used panics
	return e, log
}

// TestRecogniserMovesParkedTaint: a recogniser's move draws on the taint
// parked at the mixer and credits the withdrawal's recipient, with a
// finding whose path runs through the mixer; undoing the block puts the
// taint back where it was and retracts the finding.
func TestRecogniserMovesParkedTaint(t *testing.T) {
	m := &mover{name: "m", onTx: "0x3-0", service: "0xmix", to: "0xout", take: 200, amount: 200}
	e, log := recogniserEngine(t, nil, m)
	defer e.Close()
	open(t, e, watchlists.Incident{ID: "inc_r", Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}})
	bs := recogniserWorld()
	for _, b := range bs {
		connect(t, e, b)
	}
	if m.calls == 0 {
		t.Fatal("the recogniser was never called")
	}
	parkedAt := func() int64 {
		s, _ := e.Summary("inc_r")
		for _, d := range s.Services {
			if d.Address == "0xmix" {
				return d.Tainted.Int64()
			}
		}
		return 0
	}
	if h := held(t, e, "inc_r"); h["0xout"] != 200 || h["0xthief"] != 400 || parkedAt() != 400 {
		t.Fatalf("after the move: held %v, parked %d; want 0xout 200, 0xthief 400, 400 left at the mixer", h, parkedAt())
	}
	ws := log.ofType(tracer.MixerWithdrawal)
	if len(ws) != 1 || ws[0].To != "0xout" || ws[0].Tainted.Int64() != 200 || ws[0].Confidence != 0.25 {
		t.Fatalf("withdrawal findings %+v", ws)
	}
	if p := ws[0].Path; len(p) != 3 || p[1].To != "0xmix" || p[2].From != "0xmix" || p[2].To != "0xout" {
		t.Fatalf("withdrawal path %+v; want theft, mixer deposit, withdrawal", p)
	}
	disconnect(t, e, bs[2])
	if h := held(t, e, "inc_r"); h["0xout"] != 0 || parkedAt() != 600 {
		t.Fatalf("after undo: held %v, parked %d; want nothing at 0xout and 600 back at the mixer", h, parkedAt())
	}
	if r := log.retractedOf(tracer.MixerWithdrawal); len(r) != 1 || r[0].ID != ws[0].ID {
		t.Fatalf("retracted %+v; want the withdrawal", r)
	}
}

// TestRecognisersKeepTheirOwnMoves: two recognisers answering the same
// transaction give moves of their own — two holdings with their own
// provenance and two findings — and a restart from the store changes
// none of it (they once shared a number, and the second overwrote the
// first in the store).
func TestRecognisersKeepTheirOwnMoves(t *testing.T) {
	store, err := pebble.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rs := []tracer.Recogniser{
		&mover{name: "a", onTx: "0x3-0", service: "0xmix", to: "0xa1", take: 100, amount: 100},
		&mover{name: "b", onTx: "0x3-0", service: "0xmix", to: "0xb2", take: 150, amount: 150},
	}
	e, log := recogniserEngine(t, store, rs...)
	open(t, e, watchlists.Incident{ID: "inc_r", Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}})
	for _, b := range recogniserWorld() {
		connect(t, e, b)
	}
	ws := log.ofType(tracer.MixerWithdrawal)
	if len(ws) != 2 || ws[0].ID == ws[1].ID {
		t.Fatalf("withdrawal findings %+v; want two with their own ids", ws)
	}
	edges := func(e *tracer.Engine) string {
		g, ok := e.Flow("inc_r")
		if !ok {
			t.Fatal("no flow")
		}
		s := ""
		for _, ed := range g.Edges {
			s += fmt.Sprintf("%s %s→%s %s\n", ed.Tx, ed.From, ed.To, ed.Amount)
		}
		return s
	}
	before := edges(e)
	e.Close()
	re, _ := recogniserEngine(t, store, rs...)
	defer re.Close()
	if after := edges(re); after != before {
		t.Fatalf("the flow changed across a restart:\nbefore:\n%safter:\n%s", before, after)
	}
	if h := held(t, re, "inc_r"); h["0xa1"] != 100 || h["0xb2"] != 150 {
		t.Fatalf("after a restart: held %v; want 0xa1 100 and 0xb2 150", h)
	}
}

// crossMover moves taint parked at an Ethereum service to a Bitcoin
// output, as a cross-chain swap's payout does.
type crossMover struct{ onTx, to string }

func (m *crossMover) Name() string { return "cross" }

func (m *crossMover) Recognise(_ context.Context, _ tracer.State, _ *chains.Block, tx *chains.Tx, _ []tracer.Deposit) ([]tracer.Move, error) {
	if tx.Hash != m.onTx {
		return nil, nil
	}
	return []tracer.Move{{Incident: "inc_r", Service: "0xmix", Asset: chains.ETH, Take: big.NewInt(600),
		Amount: big.NewInt(400), Chain: chains.Bitcoin, To: m.to, ToAsset: chains.BTC, Type: tracer.BridgeDeposit, Confidence: 1}}, nil
}

// TestTaintFollowedOnAnotherChain: an Ethereum incident's taint that a
// recogniser moves to a Bitcoin output is followed there — the output's
// spend to an exchange is that incident's finding, with a path that starts
// on Ethereum and ends on Bitcoin.
func TestTaintFollowedOnAnotherChain(t *testing.T) {
	labels := labelMap{}
	labels.add(chains.Ethereum, "0xmix", watchlists.Bridge, "Bridge")
	labels.add(chains.Bitcoin, "bcex", watchlists.Exchange, "BTC exchange")
	log := &findingLog{}
	prev := prevoutMap{}
	e, err := tracer.New(tracer.Config{}, tracer.Deps{Labels: labels, Sink: log, Prevouts: prev,
		Recognisers: []tracer.Recogniser{&crossMover{onTx: "0x3-0", to: "b1-0:0"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	b1 := btcBlock(1, "", utx{outs: outs("bcpayout", 50_000)})
	prev.Add(b1)
	connect(t, e, b1)
	open(t, e, watchlists.Incident{ID: "inc_r", Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}})
	for _, b := range recogniserWorld() {
		connect(t, e, b)
	}
	b2 := btcBlock(2, "", utx{ins: []chains.Outpoint{op("b1-0", 0)}, outs: outs("bcex", 49_000)})
	prev.Add(b2)
	connect(t, e, b2)
	deps := log.ofType(tracer.ExchangeDeposit)
	if len(deps) != 1 || deps[0].Chain != chains.Bitcoin || deps[0].Incident != "inc_r" || deps[0].To != "bcex" {
		t.Fatalf("exchange findings %+v; want the Bitcoin deposit of inc_r", deps)
	}
	p := deps[0].Path
	if len(p) < 3 || p[0].Chain != chains.Ethereum || p[len(p)-1].Chain != chains.Bitcoin {
		t.Fatalf("path %+v; want it to start on ethereum and end on bitcoin", p)
	}
}
