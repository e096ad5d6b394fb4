package tracer

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/chainhound/chainhound/chains"
	"github.com/holiman/uint256"
)

// The engine keeps its holdings and provenance hops in slabs: chunks of
// pointer-free records addressed by int32 indexes (0 is "none"), so a
// million holdings cost the garbage collector nothing to mark and grow one
// chunk at a time. Amounts are kept in 128 bits; larger ones (ERC-20
// amounts go up to 2²⁵⁶−1) are escaped into a side table and stay exact.
// Hops are freed by a mark and sweep over what can still name them
// (holdings, FIFO segments, parked taint, journals): see sweep.

const (
	chunkBits = 14
	chunkSize = 1 << chunkBits
)

// slab hands out records of T by index. Slot 0 is never handed out.
type slab[T any] struct {
	chunks []*[chunkSize]T
	n      int32 // slots handed out so far, counting slot 0
	free   []int32
	live   int
	// quarantine: released slots are never handed out again, so a stale
	// index finds a zeroed slot (checked mode).
	quarantine bool
}

func (s *slab[T]) at(i int32) *T { return &s.chunks[i>>chunkBits][i&(chunkSize-1)] }

func (s *slab[T]) alloc() int32 {
	s.live++
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		return i
	}
	if s.n == 0 {
		s.n = 1
	}
	if s.n == math.MaxInt32 {
		panic("tracer: slab full (2³¹ records)")
	}
	if int(s.n>>chunkBits) == len(s.chunks) {
		s.chunks = append(s.chunks, new([chunkSize]T))
	}
	i := s.n
	s.n++
	return i
}

// release zeroes slot i and makes it available again.
func (s *slab[T]) release(i int32) {
	var zero T
	*s.at(i) = zero
	if !s.quarantine {
		s.free = append(s.free, i)
	}
	s.live--
}

type (
	holdID int32 // a holding in arena.holds
	hopID  int32 // a hop in arena.hops
)

// amt128 is an amount in 128 bits. An amount of 2¹²⁸−2⁶⁴ or more is
// escaped: hi is all ones and lo indexes arena.wide.
type amt128 struct{ lo, hi uint64 }

func (x amt128) escaped() bool { return x.hi == math.MaxUint64 }

// isZero: an escaped amount is never zero.
func (x amt128) isZero() bool { return x.lo == 0 && x.hi == 0 }

// hop is one tainted movement: the provenance link of a holding. hops form
// a tree rooted at the seed hops; parent is 0 at a seed.
type hop struct {
	amt     amt128
	to      addr20 // the receiver (an address, or the interned name)
	parent  hopID
	inc     uint32 // incident index (arena.incs)
	tx      uint32 // interned tx hash (arena.txs)
	block   uint32 // heights fit: 2³² blocks are centuries away on both chains
	seq     int32  // the transfer's Seq (account), output index (UTXO), moveSeq for recogniser moves
	depth   uint16
	doubt   uint16 // 1 − the hop's confidence, in 10,000ths (0: certain)
	chainID uint8
	flags   uint8
}

// doubtOf encodes confidence c in (0, 1] as a hop's doubt, to four
// decimals: a confidence is a heuristic's estimate, not an amount.
func doubtOf(c float64) uint16 {
	if !(c < 1) {
		return 0
	}
	if c <= 0 {
		return doubtScale
	}
	return uint16(math.Round((1 - c) * doubtScale))
}

const doubtScale = 10_000

// confidenceOf is the confidence a hop's doubt encodes.
func confidenceOf(d uint16) float64 { return float64(doubtScale-d) / doubtScale }

const (
	hopLive uint8 = 1 << iota // allocated
	hopDead                   // its block was undone
	hopRoot                   // its sender is in arena.roots (not its parent's receiver)
)

// holding is the taint of one incident at one place.
type holding struct {
	bal   amt128 // account: the balance seen in this lane; UTXO: the outpoint's value
	taint amt128
	key   akey   // account model: the place (placeIndex keeps only the index)
	inc   uint32 // incident index (arena.incs)
	next  holdID // the holding of another incident at the same place
	via   hopID  // the hop that brought (the largest part of) its taint
	fifo  int32  // FIFO lanes: the queue in arena.fifos (0: not FIFO)
}

// arena holds an engine's holdings, hops and what they index.
type arena struct {
	holds slab[holding]
	hops  slab[hop]
	fifos slab[[]segment]
	wide  []uint256.Int    // escaped amounts (amt128)
	wfree []uint64         // free slots of wide
	incs  []*incident      // by index; 0 is none
	roots map[hopID]string // the sender of each hop flagged hopRoot
	// Interned tx hashes of hops: txs by id, txLive false for a free id.
	txs    []string
	txLive []bool
	txIDs  map[string]uint32
	txFree []uint32
	// sweepAt is the number of live hops at which the next sweep runs.
	sweepAt int
	// checked: sweep after every block and panic on the use of a freed
	// hop or holding (the tests' hunt for lifetime bugs; see setChecked).
	checked bool
}

// setChecked turns checked mode on: freed slots are quarantined, hops are
// swept after every block, and reading a freed hop or holding panics
// instead of reading whatever took its slot.
func (a *arena) setChecked() {
	a.checked = true
	a.hops.quarantine, a.holds.quarantine, a.fifos.quarantine = true, true, true
}

const minSweep = 1 << 16

func newArena() *arena {
	return &arena{incs: []*incident{nil}, roots: map[hopID]string{}, txIDs: map[string]uint32{}, sweepAt: minSweep}
}

func (a *arena) holding(id holdID) *holding {
	h := a.holds.at(int32(id))
	if a.checked && (id <= 0 || h.inc == 0) {
		panic(fmt.Sprintf("tracer: holding %d used after it was freed", id))
	}
	return h
}

func (a *arena) hop(id hopID) *hop {
	h := a.hops.at(int32(id))
	if a.checked && (id <= 0 || h.flags&hopLive == 0) {
		panic(fmt.Sprintf("tracer: hop %d used after it was freed", id))
	}
	return h
}

// incOf returns the incident of holding id.
func (a *arena) incOf(id holdID) *incident { return a.incs[a.holding(id).inc] }

// register gives inc its index.
func (a *arena) register(inc *incident) {
	inc.idx = uint32(len(a.incs))
	a.incs = append(a.incs, inc)
}

// get returns the amount x stands for.
func (a *arena) get(x amt128) uint256.Int {
	if x.escaped() {
		return a.wide[x.lo]
	}
	return uint256.Int{x.lo, x.hi, 0, 0}
}

// set stores v in *x.
func (a *arena) set(x *amt128, v *uint256.Int) {
	if x.escaped() {
		if v[2] != 0 || v[3] != 0 || v[1] == math.MaxUint64 {
			a.wide[x.lo] = *v // stays wide
			return
		}
		a.drop(x)
	}
	if v[2] == 0 && v[3] == 0 && v[1] != math.MaxUint64 {
		x.lo, x.hi = v[0], v[1]
		return
	}
	var i uint64
	if n := len(a.wfree); n > 0 {
		i = a.wfree[n-1]
		a.wfree = a.wfree[:n-1]
	} else {
		i = uint64(len(a.wide))
		a.wide = append(a.wide, uint256.Int{})
	}
	a.wide[i] = *v
	x.lo, x.hi = i, math.MaxUint64
}

// drop releases what *x holds in the wide table.
func (a *arena) drop(x *amt128) {
	if x.escaped() {
		a.wide[x.lo] = uint256.Int{}
		a.wfree = append(a.wfree, x.lo)
	}
	*x = amt128{}
}

// add adds v to *x.
func (a *arena) add(x *amt128, v *uint256.Int) {
	if !x.escaped() && v[2]|v[3] == 0 {
		lo, c := bits.Add64(x.lo, v[0], 0)
		hi, c := bits.Add64(x.hi, v[1], c)
		if c == 0 && hi != math.MaxUint64 {
			x.lo, x.hi = lo, hi
			return
		}
	}
	s := a.get(*x)
	s.Add(&s, v)
	a.set(x, &s)
}

// newHolding allocates an empty holding of inc.
func (a *arena) newHolding(inc *incident) holdID {
	id := holdID(a.holds.alloc())
	a.holds.at(int32(id)).inc = inc.idx
	return id
}

func (a *arena) freeHolding(id holdID) {
	h := a.holding(id)
	a.drop(&h.bal)
	a.drop(&h.taint)
	if h.fifo != 0 {
		a.fifos.release(h.fifo)
	}
	a.holds.release(int32(id))
}

// newFIFO allocates an empty FIFO queue.
func (a *arena) newFIFO() int32 {
	i := a.fifos.alloc()
	*a.fifos.at(i) = []segment{}
	return i
}

// queue returns h's FIFO queue (nil: not a FIFO lane).
func (a *arena) queue(h *holding) *[]segment {
	if h.fifo == 0 {
		return nil
	}
	return a.fifos.at(h.fifo)
}

// holdingVal is a holding in full: a journal's prior, or a holding being
// encoded or built.
type holdingVal struct {
	inc   *incident
	bal   uint256.Int
	taint uint256.Int
	via   hopID
	fifo  *[]segment // FIFO lanes only
}

// value copies holding id out of the slab.
func (a *arena) value(id holdID) *holdingVal {
	v := a.view(id)
	if v.fifo != nil {
		c := append([]segment(nil), *v.fifo...)
		v.fifo = &c
	}
	return v
}

// view is holding id as value gives it, but with the slab's own FIFO
// queue: for a reader done with it before the holding next changes
// (encoding it, reading its segments).
func (a *arena) view(id holdID) *holdingVal {
	h := a.holding(id)
	return &holdingVal{inc: a.incs[h.inc], bal: a.get(h.bal), taint: a.get(h.taint), via: h.via, fifo: a.queue(h)}
}

// store allocates a holding with v's contents (v is not kept).
func (a *arena) store(v *holdingVal) holdID {
	id := a.newHolding(v.inc)
	h := a.holding(id)
	a.set(&h.bal, &v.bal)
	a.set(&h.taint, &v.taint)
	h.via = v.via
	if v.fifo != nil {
		h.fifo = a.newFIFO()
		*a.fifos.at(h.fifo) = append([]segment(nil), *v.fifo...)
	}
	return id
}

func fifoSegs(h *holdingVal) []segment {
	if h.fifo == nil {
		return nil
	}
	return *h.fifo
}

// hopsOf returns how many hops holding id's taint travelled.
func (a *arena) hopsOf(id holdID) int {
	if v := a.holding(id).via; v != 0 {
		return int(a.hop(v).depth)
	}
	return 0
}

// depthAfter is the depth of a hop whose parent is via.
func (a *arena) depthAfter(via hopID) int {
	if via == 0 {
		return 1
	}
	return int(a.hop(via).depth) + 1
}

// txID interns a tx hash.
func (a *arena) txID(tx string) uint32 {
	if id, ok := a.txIDs[tx]; ok {
		return id
	}
	var id uint32
	if n := len(a.txFree); n > 0 {
		id = a.txFree[n-1]
		a.txFree = a.txFree[:n-1]
		a.txs[id], a.txLive[id] = tx, true
	} else {
		id = uint32(len(a.txs))
		a.txs = append(a.txs, tx)
		a.txLive = append(a.txLive, true)
	}
	a.txIDs[tx] = id
	return id
}

// newHop allocates a hop; from is its sender.
func (a *arena) newHop(inc *incident, parent hopID, chain chains.Chain, tx string, seq int32, block uint32, from, to string, amt *uint256.Int) hopID {
	id := hopID(a.hops.alloc())
	h := a.hops.at(int32(id))
	*h = hop{parent: parent, inc: inc.idx, tx: a.txID(tx), seq: seq, block: block, chainID: chainID(chain), flags: hopLive, depth: 1}
	h.to, _ = toAddr20(to, true)
	if parent != 0 {
		h.depth = a.hop(parent).depth + 1
	}
	if parent == 0 || !a.hop(parent).to.is(from) {
		a.setRoot(id, from)
	}
	a.set(&h.amt, amt)
	return id
}

func (a *arena) setRoot(id hopID, from string) {
	a.roots[id] = from
	a.hop(id).flags |= hopRoot
}

func (a *arena) unroot(id hopID) {
	if h := a.hop(id); h.flags&hopRoot != 0 {
		delete(a.roots, id)
		h.flags &^= hopRoot
	}
}

func (a *arena) freeHop(id hopID) {
	a.unroot(id)
	a.drop(&a.hop(id).amt)
	a.hops.release(int32(id))
}

// The sender of a hop is where its parent led (the holder that sent it);
// a seed hop's sender (the victim) is kept in roots.
func (a *arena) from(id hopID) string {
	h := a.hop(id)
	if h.flags&hopRoot != 0 {
		return a.roots[id]
	}
	if h.parent != 0 {
		return a.hop(h.parent).to.String()
	}
	return ""
}

func (a *arena) txOf(id hopID) string { return a.txs[a.hop(id).tx] }

func (a *arena) chainOf(id hopID) chains.Chain { return chainIDs[a.hop(id).chainID] }

func (a *arena) hopInc(id hopID) *incident { return a.incs[a.hop(id).inc] }

var chainIDs = []chains.Chain{"", chains.Ethereum, chains.Bitcoin}

func chainID(c chains.Chain) uint8 {
	for i, x := range chainIDs {
		if x == c {
			return uint8(i)
		}
	}
	return 0
}
