package tracer_test

import (
	"context"
	"fmt"
	"math/big"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// chainLog is a recorded chain: the BlockSource and TxLocator of the
// blocks a test made (the engine fetches past blocks through it).
type chainLog struct {
	mu     sync.Mutex
	blocks []*chains.Block // by height, from 0
}

func (c *chainLog) add(b *chains.Block) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for uint64(len(c.blocks)) <= b.Ref.Number {
		c.blocks = append(c.blocks, nil)
	}
	c.blocks[b.Ref.Number] = b
}

func (c *chainLog) BlockByNumber(_ context.Context, n uint64) (*chains.Block, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n >= uint64(len(c.blocks)) || c.blocks[n] == nil {
		return nil, fmt.Errorf("no block %d", n)
	}
	return c.blocks[n], nil
}

func (c *chainLog) HeadNumber(context.Context) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return uint64(len(c.blocks) - 1), nil
}

func (c *chainLog) TxBlock(_ context.Context, h string) (chains.BlockRef, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.blocks {
		for _, tx := range b.Txs {
			if tx.Hash == h {
				return b.Ref, nil
			}
		}
	}
	return chains.BlockRef{}, fmt.Errorf("tx %s not found", h)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testnodes.Poll(t, 10*time.Second, 2*time.Millisecond, what, cond)
}

func findingIDs(fs []tracer.Finding, incident string) []string {
	var ids []string
	for _, f := range fs {
		if f.Incident == incident {
			ids = append(ids, f.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// TestCatchUp: an incident declared after the theft replays the past
// blocks for itself while live blocks keep arriving, joins the live
// stream, and ends where an incident open from the start would be.
func TestCatchUp(t *testing.T) {
	for _, pol := range policies {
		t.Run(string(pol), func(t *testing.T) {
			w := worlds(11)[0]
			chain := &chainLog{}
			chain.add(ethBlock(0, ""))
			for _, b := range w.blocks {
				chain.add(b)
			}
			inc := watchlists.Incident{ID: "inc_late", Chain: chains.Ethereum, Policy: pol, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}}

			// Reference: the incident is open from the start.
			deps := w.deps()
			refLog := &findingLog{}
			deps.Sink = refLog
			ref, _ := tracer.New(tracer.Config{CatchUpConcurrency: 3}, deps)
			defer ref.Close()
			open(t, ref, inc)
			for _, b := range chain.blocks {
				connect(t, ref, b)
			}

			deps = w.deps()
			log := &findingLog{}
			deps.Sink = log
			deps.Sources = map[chains.Chain]chains.BlockSource{chains.Ethereum: chain}
			deps.Locators = map[chains.Chain]chains.TxLocator{chains.Ethereum: chain}
			e, _ := tracer.New(tracer.Config{CatchUpConcurrency: 3}, deps)
			defer e.Close()
			half := len(chain.blocks) / 2
			for _, b := range chain.blocks[:half] {
				connect(t, e, b)
			}
			open(t, e, inc)
			if s, _ := e.Summary("inc_late"); s.CatchUp.Start != 1 {
				t.Fatalf("catch-up starts at %d, want 1", s.CatchUp.Start)
			}
			for _, b := range chain.blocks[half:] { // live blocks go on meanwhile
				connect(t, e, b)
			}
			waitFor(t, "catch-up", func() bool { s, _ := e.Summary("inc_late"); return s.CatchUp.Done })
			s, _ := e.Summary("inc_late")
			if s.CatchUp.Error != "" || s.CatchUp.Current != uint64(len(chain.blocks)-1) {
				t.Fatalf("catch-up progress %+v", s.CatchUp)
			}
			if got, want := held(t, e, "inc_late"), held(t, ref, "inc_late"); !reflect.DeepEqual(got, want) {
				t.Fatalf("after catch-up\n got %v\nwant %v", got, want)
			}
			log.mu.Lock()
			got := findingIDs(log.raised, "inc_late")
			log.mu.Unlock()
			if want := findingIDs(refLog.raised, "inc_late"); !reflect.DeepEqual(got, want) || len(want) == 0 {
				t.Fatalf("findings: got %d, want %d", len(got), len(want))
			}
		})
	}
}

// TestTreasuryOutflowDrainAutoIncident: every outflow of a treasury is a
// finding; outflows over the drain amount raise a drain, open an incident
// at once, and the thief's deposit to an exchange is found.
func TestTreasuryOutflowDrainAutoIncident(t *testing.T) {
	labels := labelMap{}
	labels.add(chains.Ethereum, "0xt", watchlists.Treasury, "Treasury")
	labels.add(chains.Ethereum, "0xex", watchlists.Exchange, "Ex")
	chain := &chainLog{}
	rec := &incidentLog{}
	log := &findingLog{}
	e, err := tracer.New(tracer.Config{

		Drain: tracer.DrainConfig{MinAmount: map[chains.Chain]*big.Int{chains.Ethereum: big.NewInt(500)}, AutoIncident: true, Window: time.Hour},
	}, tracer.Deps{Labels: labels, Sink: log, Incidents: rec, Balances: balanceMap{"0xt": 10000},
		Sources: map[chains.Chain]chains.BlockSource{chains.Ethereum: chain}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	blocks := []*chains.Block{
		ethBlock(1, "", []xf{{"0xt", "0xex", 100, false}}),    // known destination
		ethBlock(2, "", []xf{{"0xt", "0xthief", 300, false}}), // below the drain amount alone
		ethBlock(3, "", []xf{{"0xt", "0xthief2", 300, false}}),
		ethBlock(4, "", []xf{{"0xthief", "0xmid", 300, false}}, []xf{{"0xthief2", "0xex", 250, false}}),
		ethBlock(5, "", []xf{{"0xmid", "0xex", 300, false}}),
	}
	for _, b := range blocks {
		chain.add(b)
	}
	for _, b := range blocks[:3] {
		connect(t, e, b)
	}
	outs := log.ofType(tracer.TreasuryOutflow)
	if len(outs) != 3 || !outs[0].Known || outs[1].Known || outs[1].Amount.Int64() != 300 || outs[1].Label.Address != "0xt" {
		t.Fatalf("treasury outflows: %+v", outs)
	}
	drains := log.ofType(tracer.TreasuryDrain)
	// 100 (to a known exchange, still an outflow) + 300 + 300 ≥ 500 in block 3.
	if len(drains) != 1 || drains[0].Block.Number != 3 || drains[0].Amount.Int64() != 700 {
		t.Fatalf("drains: %+v", drains)
	}
	if len(rec.incs) != 1 || !rec.incs[0].Auto || len(rec.incs[0].Seeds) != 3 {
		t.Fatalf("auto incidents: %+v", rec.incs)
	}
	id := rec.incs[0].ID
	if drains[0].Incident != id {
		t.Fatalf("drain names incident %q, want the auto incident %s", drains[0].Incident, id)
	}
	for _, b := range blocks[3:] {
		connect(t, e, b)
	}
	waitFor(t, "auto incident catch-up", func() bool { s, _ := e.Summary(id); return s.CatchUp.Done })
	waitFor(t, "exchange deposits", func() bool { return len(log.ofType(tracer.ExchangeDeposit)) >= 2 })
	var total int64
	for _, f := range log.ofType(tracer.ExchangeDeposit) {
		if f.Incident != id {
			t.Fatalf("deposit of incident %s", f.Incident)
		}
		total += f.Tainted.Int64()
	}
	// 100 of the first outflow went straight to the exchange (its seed hop), then 250 and 300.
	if total != 650 {
		t.Fatalf("tainted exchange deposits total %d, want 650", total)
	}
}

type incidentLog struct {
	mu   sync.Mutex
	incs []watchlists.Incident
}

func (l *incidentLog) SaveIncident(_ context.Context, inc watchlists.Incident) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.incs = append(l.incs, inc)
	return nil
}

// TestReorgKeepsCaughtUpIncidentLive: an incident that caught up and
// joined the live stream stays in it when a reorg undoes the block it
// joined at; the new branch's block reaches it through the live stream.
func TestReorgKeepsCaughtUpIncidentLive(t *testing.T) {
	src := &chainLog{}
	log := &findingLog{}
	e, err := tracer.New(tracer.Config{}, tracer.Deps{Sink: log, Sources: map[chains.Chain]chains.BlockSource{chains.Ethereum: src}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var bs []*chains.Block
	for n := uint64(1); n <= 5; n++ {
		b := ethBlock(n, "", []xf{{"0xa", "0xb", 1, false}})
		if n == 5 {
			b = ethBlock(n, "", []xf{{"0xvic", "0xthief", 100, false}})
		}
		bs = append(bs, b)
		src.add(b)
		connect(t, e, b)
	}
	open(t, e, watchlists.Incident{ID: "cu", Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Address: "0xvic", FromBlock: 4}}})
	waitFor(t, "catch-up", func() bool { s, _ := e.Summary("cu"); return s.CatchUp.Done })
	if h := held(t, e, "cu"); h["0xthief"] != 100 {
		t.Fatalf("after catch-up: held %v; want 100 at 0xthief", h)
	}
	// Block 5 is replaced by one where the victim pays another thief.
	disconnect(t, e, bs[4])
	b5 := ethBlock(5, "x", []xf{{"0xvic", "0xthief2", 100, false}})
	b5.Ref.Parent = bs[3].Ref.Hash
	src.add(b5)
	connect(t, e, b5)
	s, _ := e.Summary("cu")
	if h := held(t, e, "cu"); !s.CatchUp.Done || h["0xthief2"] != 100 || h["0xthief"] != 0 {
		t.Fatalf("after the reorg: catch-up %+v, held %v; want the incident live with 100 at 0xthief2", s.CatchUp, h)
	}
}

// TestAutoIncidentSurvivesReorgOfItsBlock: the block whose drain opened an
// automatic incident is undone and applied again (a one-block reorg that
// mines the same drain, or a redelivery): the incident opens again and
// follows the thief, instead of staying closed.
func TestAutoIncidentSurvivesReorgOfItsBlock(t *testing.T) {
	labels := labelMap{}
	labels.add(chains.Ethereum, "0xt", watchlists.Treasury, "Treasury")
	rec := &incidentLog{}
	log := &findingLog{}
	e, err := tracer.New(tracer.Config{
		Drain: tracer.DrainConfig{MinAmount: map[chains.Chain]*big.Int{chains.Ethereum: big.NewInt(500)}, AutoIncident: true, Window: time.Hour},
	}, tracer.Deps{Labels: labels, Sink: log, Incidents: rec, Sources: map[chains.Chain]chains.BlockSource{chains.Ethereum: &chainLog{}}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	b1 := ethBlock(1, "", []xf{{"0xt", "0xthief", 600, false}})
	connect(t, e, b1)
	if len(rec.incs) != 1 {
		t.Fatalf("%d incidents opened; want the drain's", len(rec.incs))
	}
	id := rec.incs[0].ID
	disconnect(t, e, b1)
	if _, ok := e.Summary(id); ok {
		t.Fatalf("incident %s still known after the block that opened it was undone", id)
	}
	connect(t, e, b1)
	s, ok := e.Summary(id)
	if !ok || s.Closed || held(t, e, id)["0xthief"] != 600 {
		t.Fatalf("after the block came back: known %v, closed %v, held %v; want the incident open with 600 at 0xthief", ok, s.Closed, held(t, e, id))
	}
	if d := log.ofType(tracer.TreasuryDrain); d[len(d)-1].Incident != id {
		t.Fatalf("the drain raised again names incident %q, want %s", d[len(d)-1].Incident, id)
	}
	connect(t, e, ethBlock(2, "", []xf{{"0xthief", "0xx", 600, false}}))
	if h := held(t, e, id); h["0xx"] != 600 {
		t.Fatalf("after the thief moved on: held %v; want 600 at 0xx", h)
	}
}
