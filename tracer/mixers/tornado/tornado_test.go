package tornado_test

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/mixers/tornado"
	"github.com/chainhound/chainhound/tracer/tracertest"
	"github.com/chainhound/chainhound/watchlists"
)

// The unit tests drive the real engine with blocks built here: a theft of
// 1,000 to the thief, deposits of 100 into a pool (each a transfer and the
// pool's Deposit log), withdrawals (the pool's internal payments and its
// Withdrawal log). Addresses are 20-byte hex as the follower gives them.

const (
	pool    = "0x1000000000000000000000000000000000000001"
	router  = "0x1000000000000000000000000000000000000002"
	pool10  = "0x1000000000000000000000000000000000000003" // a second pool, of 10
	victim  = "0x2000000000000000000000000000000000000001"
	thief   = "0x2000000000000000000000000000000000000002"
	relayer = "0x3000000000000000000000000000000000000001"
	fresh   = "0x4000000000000000000000000000000000000001"
	denom   = 100
)

func addr(i int) string { return fmt.Sprintf("0x5%039x", i) }

func poolLabels() tracertest.Labels {
	return tracertest.NewLabels(
		watchlists.Entry{Chain: chains.Ethereum, Address: pool, Kind: watchlists.Mixer, Label: "Tornado.Cash: 100", Protocol: tornado.Protocol, Owner: "shipped"},
		watchlists.Entry{Chain: chains.Ethereum, Address: router, Kind: watchlists.Mixer, Label: "Tornado.Cash: Router", Protocol: tornado.Protocol, Owner: "shipped"},
		watchlists.Entry{Chain: chains.Ethereum, Address: pool10, Kind: watchlists.Mixer, Label: "Tornado.Cash: 10", Protocol: tornado.Protocol, Owner: "shipped"},
	)
}

// tx is a transaction of a test block.
type tx struct {
	from, to  string
	gas       int64
	transfers [][3]any // from, to, amount
	logs      []chains.Log
}

func block(n uint64, salt string, txs ...tx) *chains.Block {
	hash := func(n uint64) string { return fmt.Sprintf("b%d%s", n, salt) }
	b := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: n, Hash: hash(n), Parent: hash(n - 1), Time: time.Unix(int64(1_700_000_000+12*n), 0).UTC()}}
	for i, x := range txs {
		t := chains.Tx{Hash: fmt.Sprintf("0x%d-%d%s", n, i, salt), Index: i, From: x.from, To: x.to, GasPrice: big.NewInt(x.gas), Logs: x.logs}
		for s, tr := range x.transfers {
			t.Transfers = append(t.Transfers, chains.Transfer{Kind: chains.Native, TxIndex: i, Seq: s, LogIndex: -1,
				From: tr[0].(string), To: tr[1].(string), Asset: chains.ETH, Amount: big.NewInt(int64(tr[2].(int)))})
		}
		b.Txs = append(b.Txs, t)
	}
	return b
}

var commitments int

func depositLog(p string) chains.Log {
	commitments++
	var c [32]byte
	c[31] = byte(commitments)
	return chains.Log{Address: p, Topics: [][32]byte{tornado.DepositTopic, c}, Data: make([]byte, 64)}
}

func withdrawalLog(p, to, rel string, fee int) chains.Log {
	return tornado.WithdrawalLog(p, to, rel, big.NewInt(int64(fee)))
}

// deposit is a deposit of one note from from at gas price gas.
func deposit(from string, gas int64) tx {
	return tx{from: from, gas: gas, transfers: [][3]any{{from, pool, denom}}, logs: []chains.Log{depositLog(pool)}}
}

// withdraw pays to (denom − fee) and the relayer fee; sender sends the
// transaction (the relayer, or the recipient itself).
func withdraw(sender, to string, fee int, gas int64) tx {
	x := tx{from: sender, gas: gas, transfers: [][3]any{{pool, to, denom - fee}}}
	rel := "0x0000000000000000000000000000000000000000"
	if fee > 0 {
		rel = relayer
		x.transfers = append(x.transfers, [3]any{pool, relayer, fee})
	}
	x.logs = []chains.Log{withdrawalLog(pool, to, rel, fee)}
	return x
}

func engine(t *testing.T, store tracer.Store, floor *float64) (*tracer.Engine, *tracertest.Sink) {
	t.Helper()
	l := poolLabels()
	s := &tracertest.Sink{}
	e, err := tracer.New(tracer.Config{ConfidenceFloor: floor}, tracer.Deps{Labels: l, Sink: s, Store: store,
		Recognisers: []tracer.Recogniser{tornado.New(l, nil, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, s
}

func connect(t *testing.T, e *tracer.Engine, bs ...*chains.Block) {
	t.Helper()
	for _, b := range bs {
		if err := e.Handle(context.Background(), chains.Event{Type: chains.Connected, Chain: b.Chain, Block: b, Ref: b.Ref}); err != nil {
			t.Fatalf("connect %s: %v", b.Ref, err)
		}
	}
}

func openIncident(t *testing.T, e *tracer.Engine) {
	t.Helper()
	inc := watchlists.Incident{ID: "inc", Chain: chains.Ethereum, Status: watchlists.Open, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}}
	if err := e.OpenIncident(context.Background(), inc); err != nil {
		t.Fatal(err)
	}
}

// theft: block 1 steals 1,000 to the thief; block 2 holds deposits of
// clean depositors at distinct gas prices.
func theft(clean int) []*chains.Block {
	b1 := block(1, "", tx{from: victim, gas: 1, transfers: [][3]any{{victim, thief, 1000}}})
	var ds []tx
	for i := range clean {
		ds = append(ds, deposit(addr(i), int64(100+i)))
	}
	return []*chains.Block{b1, block(2, "", ds...)}
}

func held(t *testing.T, e *tracer.Engine) map[string]int64 {
	t.Helper()
	s, ok := e.Summary("inc")
	if !ok {
		t.Fatal("no summary")
	}
	m := map[string]int64{}
	for _, h := range s.Holders {
		m[h.Address] = h.Tainted.Int64()
	}
	return m
}

// TestBaselineShare: with no heuristic, a withdrawal from a pool of four
// unmatched deposits, one the thief's, carries a quarter of that
// deposit's taint (split between recipient and relayer by what each was
// paid) with confidence 0.25 — and a second one 1/3 of what is left.
func TestBaselineShare(t *testing.T) {
	e, s := engine(t, nil, nil)
	openIncident(t, e)
	connect(t, e, theft(3)...)
	connect(t, e, block(3, "", deposit(thief, 50)))
	if got := len(s.Of(tracer.MixerDeposit)); got != 1 {
		t.Fatalf("mixer deposits %d, want 1", got)
	}
	connect(t, e, block(4, "", withdraw(relayer, fresh, 4, 7)))
	ws := s.Of(tracer.MixerWithdrawal)
	if len(ws) != 1 {
		t.Fatalf("withdrawals %d, want 1: %+v", len(ws), s.Raised)
	}
	w := ws[0]
	// 100/4 = 25 of taint: 24 to the recipient (96/100 of it), 1 to the relayer.
	if w.To != fresh || w.Amount.Int64() != 96 || w.Tainted.Int64() != 24 || w.Confidence != 0.25 || len(w.Heuristics) != 0 {
		t.Fatalf("withdrawal to %s amount %s tainted %s confidence %v heuristics %v; want %s 96 24 0.25 none", w.To, w.Amount, w.Tainted, w.Confidence, w.Heuristics, fresh)
	}
	if h := held(t, e); h[fresh] != 24 || h[relayer] != 1 {
		t.Fatalf("held %v, want %s 24 and the relayer 1", h, fresh)
	}
	last := w.Path[len(w.Path)-1]
	if last.Via == nil || last.Via.Protocol != tornado.Protocol || last.Via.Kind != watchlists.Mixer || last.Confidence != 0.25 {
		t.Fatalf("last hop %+v (via %+v), want via the tornado mixer at 0.25", last, last.Via)
	}
	// The recipient's balance is its whole payout, a quarter tainted: half
	// of it spent carries half its taint (haircut).
	connect(t, e, block(5, "", tx{from: fresh, gas: 7, transfers: [][3]any{{fresh, addr(98), 48}}}))
	if h := held(t, e); h[fresh] != 12 || h[addr(98)] != 12 {
		t.Fatalf("after spending half: held %v, want %s 12 and %s 12", h, fresh, addr(98))
	}
	// Three unmatched left, the thief's deposit 3/4 likely among them.
	connect(t, e, block(6, "", withdraw(relayer, addr(99), 0, 7)))
	ws = s.Of(tracer.MixerWithdrawal)
	if len(ws) != 2 || ws[1].Confidence != 0.25 || ws[1].Tainted.Int64() != 25 {
		t.Fatalf("second withdrawal %+v, want confidence 0.75/3 = 0.25 and 75/3 = 25 tainted", ws[len(ws)-1])
	}
}

// TestAddressMatch (Tutela heuristic 1, arXiv 2201.06811 §4.1): the
// thief deposits and later withdraws to its own address; the withdrawal
// is tied to the thief's deposit whatever the pool's size.
func TestAddressMatch(t *testing.T) {
	e, s := engine(t, nil, nil)
	openIncident(t, e)
	connect(t, e, theft(9)...)
	connect(t, e, block(3, "", deposit(thief, 50)))
	connect(t, e, block(4, "", withdraw(relayer, thief, 0, 7)))
	ws := s.Of(tracer.MixerWithdrawal)
	if len(ws) != 1 {
		t.Fatalf("withdrawals %d, want 1", len(ws))
	}
	w := ws[0]
	if !slices.Equal(w.Heuristics, []string{tornado.AddressMatch}) || w.Confidence != 0.95 || w.Tainted.Int64() != 95 {
		t.Fatalf("withdrawal heuristics %v confidence %v tainted %s; want address_match 0.95 95", w.Heuristics, w.Confidence, w.Tainted)
	}
	// The clean depositors' withdrawals to themselves carry nothing.
	connect(t, e, block(5, "", withdraw(addr(0), addr(0), 0, 100)))
	if n := len(s.Of(tracer.MixerWithdrawal)); n != 1 {
		t.Fatalf("a clean depositor's withdrawal to itself raised a finding (%d)", n)
	}
}

// TestUniqueGasPrice (Tutela heuristic 2): a withdrawal its recipient sent
// itself, at a gas price exactly one earlier deposit paid, is that
// deposit's; a relayed one, or a gas price two deposits paid, is not.
func TestUniqueGasPrice(t *testing.T) {
	cases := []struct {
		name      string
		sender    string
		fee       int
		gas       int64
		extraGas  int64 // a clean deposit at this gas price too (0: none)
		heuristic []string
		conf      float64
	}{
		{"unique, sent by the recipient", fresh, 0, 4321, 0, []string{tornado.UniqueGasPrice}, 0.9},
		{"relayed", relayer, 5, 4321, 0, nil, 0.1},
		{"gas price shared", fresh, 0, 4321, 4321, nil, 0.1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, s := engine(t, nil, new(float64))
			openIncident(t, e)
			bs := theft(8)
			extra := deposit(addr(50), 1)
			if c.extraGas != 0 {
				extra.gas = c.extraGas
			}
			connect(t, e, bs...)
			connect(t, e, block(3, "", deposit(thief, 4321), extra))
			connect(t, e, block(4, "", withdraw(c.sender, fresh, c.fee, c.gas)))
			ws := s.Of(tracer.MixerWithdrawal)
			if len(ws) != 1 {
				t.Fatalf("withdrawals %d, want 1", len(ws))
			}
			if !slices.Equal(ws[0].Heuristics, c.heuristic) || ws[0].Confidence != c.conf {
				t.Fatalf("heuristics %v confidence %v, want %v %v", ws[0].Heuristics, ws[0].Confidence, c.heuristic, c.conf)
			}
		})
	}
}

// TestBelowFloor: a baseline withdrawal from a pool of ten is reported
// with confidence 0.1 but its taint goes no further under the default
// floor of 0.25; its recipient holds nothing.
func TestBelowFloor(t *testing.T) {
	e, s := engine(t, nil, nil)
	openIncident(t, e)
	connect(t, e, theft(9)...)
	connect(t, e, block(3, "", deposit(thief, 50)))
	connect(t, e, block(4, "", withdraw(relayer, fresh, 0, 7)))
	ws := s.Of(tracer.MixerWithdrawal)
	if len(ws) != 1 || ws[0].Confidence != 0.1 || ws[0].Tainted.Int64() != 10 {
		t.Fatalf("withdrawals %+v, want one of confidence 0.1, 10 tainted", ws)
	}
	if h := held(t, e); h[fresh] != 0 {
		t.Fatalf("recipient holds %d below the floor, want 0", h[fresh])
	}
}

// TestReorgAndRestart: a withdrawal undone by a reorg gives the taint back
// to the pool and its finding is retracted; the pool's state survives a
// restart, so an address match after it still finds the thief's deposit.
func TestReorgAndRestart(t *testing.T) {
	st, err := pebble.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e, s := engine(t, st, nil)
	openIncident(t, e)
	connect(t, e, theft(3)...)
	connect(t, e, block(3, "", deposit(thief, 50)))
	w := block(4, "", withdraw(thief, thief, 0, 50))
	connect(t, e, w)
	if len(s.Of(tracer.MixerWithdrawal)) != 1 {
		t.Fatal("no withdrawal finding")
	}
	if err := e.Handle(context.Background(), chains.Event{Type: chains.Disconnected, Chain: chains.Ethereum, Block: w, Ref: w.Ref}); err != nil {
		t.Fatal(err)
	}
	if len(s.Retracted) != 1 || held(t, e)[thief] != 900 {
		t.Fatalf("after the reorg: %d retracted, thief holds %d; want 1 and 900", len(s.Retracted), held(t, e)[thief])
	}
	e.Close()
	e2, s2 := engine(t, st, nil)
	connect(t, e2, block(4, "", withdraw(relayer, thief, 2, 9)))
	ws := s2.Of(tracer.MixerWithdrawal)
	if len(ws) != 1 || !slices.Equal(ws[0].Heuristics, []string{tornado.AddressMatch}) {
		t.Fatalf("after restart: %+v, want the address match", ws)
	}
}

// TestPoolConservesTaint is a property test: random deposits (the thief's
// and clean ones, at gas prices from a small set so that some are
// unique), random withdrawals (to the thief, to depositors, to fresh
// addresses, relayed or not) and random reorgs of the last block. With a
// floor of 0 every move travels, so after each block the taint held plus
// the taint parked at the pool is exactly what was stolen; every
// withdrawal's confidence is in (0, 1] and its taint at most its amount;
// and undoing a block restores the summary exactly.
func TestPoolConservesTaint(t *testing.T) {
	for seed := range int64(40) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 7))
			e, s := engine(t, nil, new(float64))
			openIncident(t, e)
			connect(t, e, block(1, "", tx{from: victim, gas: 1, transfers: [][3]any{{victim, thief, 1000}}}))
			total := func() int64 {
				sum, ok := e.Summary("inc")
				if !ok {
					t.Fatal("no summary")
				}
				var n int64
				for _, h := range sum.Holders {
					n += h.Tainted.Int64()
				}
				for _, d := range sum.Services {
					n += d.Tainted.Int64()
				}
				return n
			}
			unmatched, thiefNotes := 0, 0
			for n := uint64(2); n < 40; n++ {
				var txs []tx
				for range 1 + rng.IntN(3) {
					switch r := rng.IntN(10); {
					case r < 3 && thiefNotes < 10:
						txs = append(txs, deposit(thief, int64(1+rng.IntN(4))))
						thiefNotes++
						unmatched++
					case r < 6:
						txs = append(txs, deposit(addr(rng.IntN(5)), int64(1+rng.IntN(4))))
						unmatched++
					case unmatched > 0:
						to := []string{thief, addr(rng.IntN(5)), addr(100 + rng.IntN(100))}[rng.IntN(3)]
						fee, sender := 0, to
						if rng.IntN(2) == 0 {
							fee, sender = 1+rng.IntN(5), relayer
						}
						txs = append(txs, withdraw(sender, to, fee, int64(1+rng.IntN(4))))
						unmatched--
					}
				}
				b := block(n, "", txs...)
				before, _ := e.Summary("inc")
				connect(t, e, b)
				if got := total(); got != 1000 {
					t.Fatalf("block %d: held + parked = %d, want 1000", n, got)
				}
				if rng.IntN(5) == 0 {
					if err := e.Handle(context.Background(), chains.Event{Type: chains.Disconnected, Chain: chains.Ethereum, Block: b, Ref: b.Ref}); err != nil {
						t.Fatal(err)
					}
					after, _ := e.Summary("inc")
					if fmt.Sprint(after) != fmt.Sprint(before) {
						t.Fatalf("block %d undone: summary\n%v\nwant\n%v", n, after, before)
					}
					connect(t, e, b)
				}
			}
			for _, w := range s.Of(tracer.MixerWithdrawal) {
				if !(w.Confidence > 0 && w.Confidence <= 1) || w.Tainted.Cmp(w.Amount) > 0 {
					t.Fatalf("withdrawal %s: confidence %v, tainted %s of %s", w.Tx, w.Confidence, w.Tainted, w.Amount)
				}
			}
			if len(s.Of(tracer.MixerWithdrawal)) == 0 && thiefNotes > 0 {
				t.Logf("seed %d: no tainted withdrawal", seed)
			}
		})
	}
}

// depositTo is a deposit of amt into p.
func depositTo(p, from string, amt int) tx {
	return tx{from: from, gas: 1, transfers: [][3]any{{from, p, amt}}, logs: []chains.Log{depositLog(p)}}
}

// withdrawFrom is a relayed withdrawal of amt from p to to.
func withdrawFrom(p, to string, amt int) tx {
	return tx{from: relayer, gas: 1, transfers: [][3]any{{p, to, amt - 1}, {p, relayer, 1}}, logs: []chains.Log{tornado.WithdrawalLog(p, to, relayer, big.NewInt(1))}}
}

// TestMultiDenomination (Tutela heuristic 4): the thief pays one note
// into the 100 pool and one into the 10 pool; within the day a fresh
// address takes one note out of each. The first withdrawal is the pools'
// share (one pool seen); the second completes the pattern — one from
// each, as the thief paid in — and is tied to the thief's deposit. With
// two notes of the thief's in the 100 pool the counts differ: no link.
func TestMultiDenomination(t *testing.T) {
	for _, c := range []struct {
		name      string
		notes100  int
		heuristic []string
	}{{"counts match", 1, []string{tornado.MultiDenomination}}, {"counts differ", 2, nil}} {
		t.Run(c.name, func(t *testing.T) {
			e, s := engine(t, nil, new(float64))
			openIncident(t, e)
			var clean []tx
			for i := range 6 {
				clean = append(clean, depositTo(pool, addr(i), denom), depositTo(pool10, addr(i), 70))
			}
			connect(t, e, block(1, "", tx{from: victim, gas: 1, transfers: [][3]any{{victim, thief, 1000}}}), block(2, "", clean...))
			var thiefs []tx
			for range c.notes100 {
				thiefs = append(thiefs, depositTo(pool, thief, denom))
			}
			connect(t, e, block(3, "", append(thiefs, depositTo(pool10, thief, 70))...))
			connect(t, e, block(4, "", withdrawFrom(pool10, fresh, 70)), block(5, "", withdrawFrom(pool, fresh, denom)))
			ws := s.Of(tracer.MixerWithdrawal)
			if len(ws) != 2 {
				t.Fatalf("withdrawals %d, want 2", len(ws))
			}
			if len(ws[0].Heuristics) != 0 {
				t.Fatalf("first withdrawal linked by %v, want the pool's share", ws[0].Heuristics)
			}
			if !slices.Equal(ws[1].Heuristics, c.heuristic) {
				t.Fatalf("second withdrawal heuristics %v (confidence %v), want %v", ws[1].Heuristics, ws[1].Confidence, c.heuristic)
			}
			if c.heuristic != nil && ws[1].Confidence != 0.8 {
				t.Fatalf("multi-denomination confidence %v, want 0.8", ws[1].Confidence)
			}
		})
	}
}

// poolBalance is the pool's balance by block number.
type poolBalance map[uint64]int64

func (p poolBalance) BalanceAt(_ context.Context, _ string, _ chains.Asset, n uint64) (*big.Int, error) {
	return big.NewInt(p[n]), nil
}

// laneState is a recogniser State shared by the live pass and one
// incident's catch-up lane, with which incidents are live.
type laneState struct {
	m    map[string][]byte
	lane string
	live map[string]bool
}

func (s *laneState) Get(k string) ([]byte, bool)  { v, ok := s.m[k]; return v, ok }
func (s *laneState) Put(k string, v []byte)       { s.m[k] = v }
func (s *laneState) Delete(k string)              { delete(s.m, k) }
func (s *laneState) Lane() string                 { return s.lane }
func (s *laneState) On(chains.Chain) tracer.State { return nil }
func (s *laneState) Live(id string) bool          { return s.live[id] }

// TestLivePassLeavesCatchingUpIncident: incident B is declared late; its
// catch-up records its deposit into the pool; a withdrawal the live pass
// applies before B's lane reaches it must not spend B's share (the engine
// drops moves of an incident not yet live): B's lane takes exactly one
// share of it, 1/5 of its note, when it gets there.
func TestLivePassLeavesCatchingUpIncident(t *testing.T) {
	// The pool's balance by block: five notes after block 2.
	r := tornado.New(poolLabels(), poolBalance{0: 0, 1: 4 * denom, 2: 5 * denom}, nil)
	live := &laneState{m: map[string][]byte{}, live: map[string]bool{}}
	lane := &laneState{m: live.m, lane: "B", live: live.live}
	run := func(st *laneState, b *chains.Block, deps []tracer.Deposit) []tracer.Move {
		t.Helper()
		var all []tracer.Move
		for i := range b.Txs {
			ms, err := r.Recognise(context.Background(), st, b, &b.Txs[i], deps)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, ms...)
		}
		return all
	}
	run(live, block(1, "", deposit(addr(1), 1), deposit(addr(2), 2), deposit(addr(3), 3), deposit(addr(4), 4)), nil)
	b2 := block(2, "", deposit(addr(9), 7))
	run(live, b2, nil) // seen live before B was declared
	run(lane, b2, []tracer.Deposit{{Incident: "B", Service: pool, From: addr(9), Asset: chains.ETH, Amount: big.NewInt(denom), Tainted: big.NewInt(denom)}})
	b3 := block(3, "", withdraw(relayer, addr(20), 0, 5))
	if ms := run(live, b3, nil); len(ms) != 0 {
		t.Fatalf("the live pass moved B's taint while B catches up: %+v", ms)
	}
	ms := run(lane, b3, nil)
	if len(ms) != 1 || ms[0].Incident != "B" || ms[0].Take.Int64() != denom/5 {
		t.Fatalf("B's lane moves %+v, want one of B taking %d (1/5 of its note)", ms, denom/5)
	}
}
