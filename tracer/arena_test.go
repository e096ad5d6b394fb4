package tracer

import (
	"context"
	"fmt"
	"math/big"
	"math/rand"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/holiman/uint256"
)

func TestAmt128(t *testing.T) {
	a := newArena()
	two := func(n uint) *uint256.Int { return new(uint256.Int).Lsh(uint256.NewInt(1), n) }
	sub := func(x *uint256.Int, y uint64) *uint256.Int { return new(uint256.Int).Sub(x, uint256.NewInt(y)) }
	max := new(uint256.Int).SetAllOne()
	firstWide := new(uint256.Int).Sub(two(128), two(64))
	cases := []struct {
		v       *uint256.Int
		escaped bool
	}{
		{uint256.NewInt(0), false},
		{uint256.NewInt(1), false},
		{two(64), false},
		{sub(firstWide, 1), false}, // 2¹²⁸−2⁶⁴−1: the largest kept inline
		{firstWide, true},
		{sub(two(128), 1), true},
		{two(128), true},
		{two(200), true},
		{max, true},
	}
	for _, c := range cases {
		var x amt128
		a.set(&x, c.v)
		if x.escaped() != c.escaped {
			t.Errorf("%s: escaped %v, want %v", c.v.Hex(), x.escaped(), c.escaped)
		}
		if got := a.get(x); !got.Eq(c.v) {
			t.Errorf("%s: got back %s", c.v.Hex(), got.Hex())
		}
		if x.isZero() != c.v.IsZero() {
			t.Errorf("%s: isZero %v", c.v.Hex(), x.isZero())
		}
		a.drop(&x)
	}
	if len(a.wfree) != len(a.wide) {
		t.Fatalf("wide table: %d slots, %d free after dropping all", len(a.wide), len(a.wfree))
	}
	// Sums across the boundary, both ways, and reuse of the freed slots.
	n := len(a.wide)
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		var x amt128
		v := new(uint256.Int)
		for k := 0; k < 6; k++ {
			var d uint256.Int
			d[0], d[1] = r.Uint64(), r.Uint64()>>uint(r.Intn(64))
			if r.Intn(4) == 0 {
				d[2] = r.Uint64() >> 60
			}
			a.add(&x, &d)
			v.Add(v, &d)
			if got := a.get(x); !got.Eq(v) {
				t.Fatalf("sum: got %s want %s", got.Hex(), v.Hex())
			}
			if r.Intn(3) == 0 { // down again, below the boundary
				v.Rsh(v, 70)
				a.set(&x, v)
			}
		}
		a.drop(&x)
	}
	if len(a.wide) > n+1 || len(a.wfree) != len(a.wide) {
		t.Fatalf("wide table grew to %d (%d free): freed slots not reused", len(a.wide), len(a.wfree))
	}
}

func TestSlabReuse(t *testing.T) {
	var s slab[hop]
	ids := map[int32]bool{}
	for i := 0; i < chunkSize+10; i++ {
		id := s.alloc()
		if id == 0 || ids[id] {
			t.Fatalf("alloc gave %d twice or 0", id)
		}
		ids[id] = true
		s.at(id).seq = id
	}
	if len(s.chunks) != 2 || s.live != chunkSize+10 {
		t.Fatalf("%d chunks, %d live", len(s.chunks), s.live)
	}
	s.release(5)
	s.release(chunkSize + 3)
	if s.at(5).seq != 0 {
		t.Fatalf("released slot not zeroed")
	}
	n := s.n
	a, b := s.alloc(), s.alloc()
	if s.n != n || !(a == 5 || b == 5) || !(a == chunkSize+3 || b == chunkSize+3) {
		t.Fatalf("freed slots not reused: got %d, %d (n %d→%d)", a, b, n, s.n)
	}
}

func TestPlaceIndex(t *testing.T) {
	// A small key space keeps the table small, so probes wrap around its
	// end; a larger one makes long runs.
	for _, keys := range []int{3, 40} {
		a := newArena()
		x := newPlaceIndex()
		x.slots, x.ctrl = make([]uint64, 2), make([]uint8, 2)
		ref := map[akey]holdID{}
		r := rand.New(rand.NewSource(int64(keys)))
		key := func() akey {
			var k akey
			k.a[19] = byte(r.Intn(keys))
			k.a[0] = byte(r.Intn(keys))
			k.asset = uint32(r.Intn(2))
			return k
		}
		for i := 0; i < 20000; i++ {
			k := key()
			switch r.Intn(3) {
			case 0, 1:
				h := holdID(a.holds.alloc())
				a.holding(h).key = k
				x.set(a, &k, h)
				ref[k] = h
			case 2:
				x.del(a, &k)
				delete(ref, k)
			}
			if x.n != len(ref) {
				t.Fatalf("%d keys: %d entries, want %d", keys, x.n, len(ref))
			}
			if i%97 == 0 {
				for k, h := range ref {
					if got := x.get(a, &k); got != h {
						t.Fatalf("%d keys, op %d: get %v = %d, want %d", keys, i, k, got, h)
					}
				}
				for j := 0; j < 20; j++ {
					k := key()
					if _, ok := ref[k]; !ok && x.get(a, &k) != 0 {
						t.Fatalf("found absent key %v", k)
					}
				}
				if len(x.heads()) != len(ref) {
					t.Fatalf("heads %d, want %d", len(x.heads()), len(ref))
				}
			}
		}
	}
}

// Engine-level: freed holding slots are reused after an undo, a hop that
// only a journal still names survives the sweep until that journal is
// pruned, and is then freed and its slot reused.

func testBlock(n uint64, salt string, xs ...[3]any) *chains.Block {
	b := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: n, Hash: fmt.Sprintf("h%d%s", n, salt), Parent: fmt.Sprintf("h%d%s", n-1, salt)}}
	if n == 1 {
		b.Ref.Parent = ""
	}
	for i, x := range xs {
		tx := chains.Tx{Hash: fmt.Sprintf("0x%d-%d%s", n, i, salt), Index: i, From: x[0].(string)}
		tx.Transfers = []chains.Transfer{{Kind: chains.Native, TxIndex: i, From: x[0].(string), To: x[1].(string), Asset: chains.ETH, Amount: big.NewInt(int64(x[2].(int)))}}
		b.Txs = append(b.Txs, tx)
	}
	return b
}

func TestArenaReuseAndJournalHeldHops(t *testing.T) {
	ctx := context.Background()
	e, err := New(Config{MaxHops: 2, FinalityDepth: map[chains.Chain]int{chains.Ethereum: 2}}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.OpenIncident(ctx, watchlists.Incident{ID: "inc", Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Tx: "0x1-0"}}}); err != nil {
		t.Fatal(err)
	}
	do := func(typ chains.EventType, b *chains.Block) {
		t.Helper()
		if err := e.Handle(ctx, chains.Event{Type: typ, Chain: chains.Ethereum, Block: b, Ref: b.Ref}); err != nil {
			t.Fatal(err)
		}
	}
	hopTo := func(addr string) hopID {
		for i := int32(1); i < e.a.hops.n; i++ {
			if h := e.a.hops.at(i); h.flags&hopLive != 0 && h.to.is(addr) {
				return hopID(i)
			}
		}
		return 0
	}
	do(chains.Connected, testBlock(1, "", [3]any{"0xvictim", "0xthief", 1000}))

	// A split to 50 holders, undone: their slots are free and reused by the
	// same split connected again.
	var split [][3]any
	for i := 0; i < 50; i++ {
		split = append(split, [3]any{"0xthief", fmt.Sprintf("0xs%d", i), 10})
	}
	b2 := testBlock(2, "", split...)
	n0, live0 := e.a.holds.n, e.a.holds.live
	do(chains.Connected, b2)
	if e.a.holds.live != live0+50 {
		t.Fatalf("%d live holdings, want %d", e.a.holds.live, live0+50)
	}
	do(chains.Disconnected, b2)
	if e.a.holds.live != live0 {
		t.Fatalf("after undo %d live holdings, want %d", e.a.holds.live, live0)
	}
	n1 := e.a.holds.n
	do(chains.Connected, b2)
	if e.a.holds.n != n1 || n1 > n0+52 {
		t.Fatalf("holding slots: %d before, %d after undo, %d after redo: freed slots not reused", n0, n1, e.a.holds.n)
	}
	e.mu.Lock()
	e.sweep()
	hopsN := e.a.hops.n
	e.mu.Unlock()

	// s0 passes all it holds on, past the incident's two hops: no hop is
	// made, its holding goes, and its hop is named only by the prior
	// that block 3's journal keeps.
	b3 := testBlock(3, "", [3]any{"0xs0", "0xz", 10})
	do(chains.Connected, b3)
	do(chains.Connected, testBlock(4, ""))
	h := hopTo("0xs0")
	if h == 0 {
		t.Fatal("no hop to 0xs0")
	}
	e.mu.Lock()
	e.sweep()
	e.mu.Unlock()
	if hp := e.a.hop(h); hp.flags&hopLive == 0 || !hp.to.is("0xs0") || e.a.get(hp.amt) != *uint256.NewInt(10) || e.a.txOf(h) != "0x2-0" {
		t.Fatalf("hop named by a journal was freed or changed: %+v", *hp)
	}
	// Undo restores the holding with that hop.
	do(chains.Disconnected, testBlock(4, ""))
	do(chains.Disconnected, b3)
	s, _ := e.Summary("inc")
	found := false
	for _, hd := range s.Holders {
		if hd.Address == "0xs0" {
			found = hd.Tainted.Int64() == 10 && hd.Hops == 2
		}
	}
	if !found {
		t.Fatalf("0xs0 not restored: %+v", s.Holders)
	}
	// Again, then past the finality depth: block 3's journal is pruned and
	// the hop goes; a new hop takes its slot.
	do(chains.Connected, b3)
	for n := uint64(4); n <= 6; n++ {
		do(chains.Connected, testBlock(n, ""))
	}
	e.mu.Lock()
	e.sweep()
	freed := e.a.hop(h).flags&hopLive == 0
	e.mu.Unlock()
	if !freed || hopTo("0xs0") != 0 {
		t.Fatalf("hop of a pruned journal not freed")
	}
	do(chains.Connected, testBlock(7, "", [3]any{"0xthief", "0xt", 10}))
	if e.a.hops.n != hopsN { // the undone split's hops were freed: a new hop reuses a slot
		t.Fatalf("hop slots grew from %d to %d: freed slots not reused", hopsN, e.a.hops.n)
	}
	if p := e.a.pathOf(hopTo("0xt")); len(p) != 2 || p[1].From != "0xthief" || p[0].From != "0xvictim" || p[1].Tx != "0x7-0" {
		t.Fatalf("path %+v", p)
	}
	if len(e.a.txs)-len(e.a.txFree) != len(e.a.txIDs) {
		t.Fatalf("tx table: %d entries, %d free, %d named", len(e.a.txs), len(e.a.txFree), len(e.a.txIDs))
	}
}
