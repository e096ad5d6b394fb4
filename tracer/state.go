package tracer

import (
	"strconv"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/holiman/uint256"
)

// hkey names where value sits: on the account model (address, asset), on
// the UTXO model (txid, vout) with asset "".
type hkey struct {
	a string // address, or the outpoint's txid
	b string // asset key ("" for the native asset)
	n uint32 // the outpoint's index (UTXO)
}

func acctKey(addr, asset string) hkey { return hkey{a: addr, b: asset} }
func utxoKey(op chains.Outpoint) hkey { return hkey{a: op.Tx, n: op.Index} }
func (k hkey) String(utxo bool) string {
	if utxo {
		return k.a + ":" + strconv.FormatUint(uint64(k.n), 10)
	}
	return k.a + "/" + k.b
}

// hop is one tainted movement: the provenance link of a holding. hops form
// a tree rooted at the seed hops; parent is nil at a seed.
type hop struct {
	parent  *hop
	inc     *incident
	tx      string
	to      addr20 // the receiver (an address, or the interned name)
	amt     uint256.Int
	block   uint32 // heights fit: 2³² blocks are centuries away on both chains
	seq     int32  // the transfer's Seq (account), output index (UTXO), 1<<20+i for recogniser moves
	depth   uint16
	chainID uint8
	dead    bool // its block was undone
}

// The sender of a hop is where its parent led (the holder that sent it);
// a seed hop's sender (the victim) is kept beside the incident.
func (h *hop) from() string {
	if f, ok := h.inc.rootFrom[h]; ok {
		return f
	}
	if h.parent != nil {
		return h.parent.to.String()
	}
	return ""
}

var chainIDs = []chains.Chain{"", chains.Ethereum, chains.Bitcoin}

func chainID(c chains.Chain) uint8 {
	for i, x := range chainIDs {
		if x == c {
			return uint8(i)
		}
	}
	return 0
}

func (h *hop) chain() chains.Chain { return chainIDs[h.chainID] }

// holding is the taint of one incident at one place.
type holding struct {
	inc   *incident
	next  *holding    // the holding of another incident at the same place
	bal   uint256.Int // account: the balance seen in this lane; UTXO: the outpoint's value
	taint uint256.Int
	via   *hop       // the hop that brought (the largest part of) its taint
	fifo  *[]segment // FIFO lanes only
}

// segment is a run of value in a FIFO queue, tainted by the lane's
// incident or clean.
type segment struct {
	tainted bool
	amt     uint256.Int
	via     *hop
}

func (h *holding) clone() *holding {
	c := *h
	if h.fifo != nil {
		q := append([]segment(nil), *h.fifo...)
		c.fifo = &q
	}
	return &c
}

func fifoSegs(h *holding) []segment {
	if h.fifo == nil {
		return nil
	}
	return *h.fifo
}

func (h *holding) hops() int {
	if h.via == nil {
		return 0
	}
	return int(h.via.depth)
}

// parked is taint that reached a service (exchange, mixer, bridge) and left
// exact tracking; recognisers may move it on.
type parked struct {
	amt uint256.Int
	via *hop
}

type chainState struct {
	chain chains.Chain
	utxo  bool
	// The holdings index: per place a list, one holding per incident,
	// linked by next. Account model: acct; UTXO model: outs.
	acct     map[akey]*holding
	outs     map[okey]*holding
	assetIDs map[string]uint32 // asset key → id in acct keys
	assets   []string          // by id; 0 is the native asset ""
	parked   map[parkKey]*parked
	drains   map[hkey]*drainWindow
	last     chains.BlockRef
	hasLast  bool
	journals map[uint64]*journal // by height
}

type parkKey struct {
	inc     *incident
	service string
	asset   string
}

func newChainState(c chains.Chain) *chainState {
	return &chainState{
		chain:    c,
		utxo:     c == chains.Bitcoin,
		acct:     map[akey]*holding{},
		outs:     map[okey]*holding{},
		assetIDs: map[string]uint32{},
		assets:   []string{""},
		parked:   map[parkKey]*parked{},
		drains:   map[hkey]*drainWindow{},
		journals: map[uint64]*journal{},
	}
}

// head returns the first holding at k (nil: none).
func (cs *chainState) head(k hkey) *holding {
	if cs.utxo {
		t, ok := toTxid32(k.a, false)
		if !ok {
			return nil
		}
		return cs.outs[okey{t, k.n}]
	}
	a, ok := toAddr20(k.a, false)
	if !ok {
		return nil
	}
	id, ok := cs.assetID(k.b, false)
	if !ok {
		return nil
	}
	return cs.acct[akey{a, id}]
}

// setHead makes h the first holding at k; nil removes the place.
func (cs *chainState) setHead(k hkey, h *holding) {
	if cs.utxo {
		t, _ := toTxid32(k.a, true)
		if h == nil {
			delete(cs.outs, okey{t, k.n})
		} else {
			cs.outs[okey{t, k.n}] = h
		}
		return
	}
	a, _ := toAddr20(k.a, true)
	id, _ := cs.assetID(k.b, true)
	if h == nil {
		delete(cs.acct, akey{a, id})
	} else {
		cs.acct[akey{a, id}] = h
	}
}

// assetID interns an asset key within the chain ("" is 0).
func (cs *chainState) assetID(asset string, add bool) (uint32, bool) {
	if asset == "" {
		return 0, true
	}
	id, ok := cs.assetIDs[asset]
	if ok || !add {
		return id, ok
	}
	id = uint32(len(cs.assets))
	cs.assets = append(cs.assets, asset)
	cs.assetIDs[asset] = id
	return id, true
}

// eachHead calls fn for every place and its first holding (any order);
// fn may delete holdings.
func (cs *chainState) eachHead(fn func(k hkey, h *holding)) {
	for k, h := range cs.acct {
		fn(hkey{a: k.a.String(), b: cs.assets[k.asset]}, h)
	}
	for k, h := range cs.outs {
		fn(hkey{a: k.tx.String(), n: k.n}, h)
	}
}

func (cs *chainState) get(k hkey, inc *incident) *holding {
	for h := cs.head(k); h != nil; h = h.next {
		if h.inc == inc {
			return h
		}
	}
	return nil
}

// list appends the holdings at k (one per incident) to buf.
func (cs *chainState) list(k hkey, buf []*holding) []*holding {
	for h := cs.head(k); h != nil; h = h.next {
		buf = append(buf, h)
	}
	return buf
}

func appendList(buf []*holding, head *holding) []*holding {
	for h := head; h != nil; h = h.next {
		buf = append(buf, h)
	}
	return buf
}

// put stores h at k, replacing the holding of the same incident.
func (cs *chainState) put(k hkey, h *holding) {
	h.next = nil
	p := cs.head(k)
	if p == nil {
		cs.setHead(k, h)
		return
	}
	if p.inc == h.inc {
		h.next = p.next
		cs.setHead(k, h)
		return
	}
	for ; p.next != nil; p = p.next {
		if p.next.inc == h.inc {
			h.next = p.next.next
			p.next = h
			return
		}
	}
	p.next = h
}

func (cs *chainState) del(k hkey, inc *incident) {
	p := cs.head(k)
	if p == nil {
		return
	}
	if p.inc == inc {
		cs.setHead(k, p.next)
		return
	}
	for ; p.next != nil; p = p.next {
		if p.next.inc == inc {
			p.next = p.next.next
			return
		}
	}
}

// incident is the engine's runtime view of a watchlists.Incident.
type incident struct {
	def      watchlists.Incident
	policy   watchlists.Policy
	dust     uint256.Int
	maxHops  int
	seedTx   map[string]bool
	seedAddr map[string]uint64 // compromised address → from block
	rootFrom map[*hop]string   // the victim of each seed hop
	start    uint64            // the block the seeds start at
	hasStart bool

	// Mutable per block, journaled under the incident's key.
	rt incRuntime

	// Catch-up progress (in memory; rt.cursor is the persisted part).
	target    uint64
	caughtErr string
}

// incRuntime is the part of an incident that blocks change.
type incRuntime struct {
	stolen map[string]*uint256.Int // asset key → stolen amount
	joined bool                    // follows the live stream
	cursor uint64                  // catch-up: last block applied for it
	closed bool
	// victimOuts are outpoints paid to a compromised Bitcoin address since
	// its from-block: spending one is a theft.
	victimOuts map[chains.Outpoint]bool
}

func (r incRuntime) clone() incRuntime {
	c := r
	c.stolen = make(map[string]*uint256.Int, len(r.stolen))
	for k, v := range r.stolen {
		c.stolen[k] = new(uint256.Int).Set(v)
	}
	if r.victimOuts != nil {
		c.victimOuts = make(map[chains.Outpoint]bool, len(r.victimOuts))
		for k, v := range r.victimOuts {
			c.victimOuts[k] = v
		}
	}
	return c
}

func (inc *incident) stolenOf(asset string) *uint256.Int {
	return inc.rt.stolen[asset]
}

// active reports whether the live stream applies inc.
func (inc *incident) active() bool { return inc.rt.joined && !inc.rt.closed }
