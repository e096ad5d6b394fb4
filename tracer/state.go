package tracer

import (
	"strconv"
	"time"

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

// segment is a run of value in a FIFO queue, tainted by the lane's
// incident or clean.
type segment struct {
	tainted bool
	amt     uint256.Int
	via     hopID
}

// parked is taint that reached a service (exchange, mixer, bridge) and left
// exact tracking; recognisers may move it on.
type parked struct {
	amt uint256.Int
	via hopID
}

type chainState struct {
	chain chains.Chain
	utxo  bool
	a     *arena
	// The holdings index: per place a list, one holding per incident,
	// linked by next. Account model: acct; UTXO model: outs.
	acct     placeIndex
	outs     map[okey]holdID
	assetIDs map[string]uint32 // asset key → id in acct keys
	assets   []string          // by id; 0 is the native asset ""
	parked   map[parkKey]*parked
	drains   map[hkey]*drainWindow
	rstate   map[string][]byte // recognisers' State, by name/key
	last     chains.BlockRef
	hasLast  bool
	journals map[uint64]*journal // by height
	seen     map[recID]struct{}  // the seen set of the block being applied, reused
}

type parkKey struct {
	inc     *incident
	service string
	asset   string
}

func newChainState(c chains.Chain, a *arena) *chainState {
	return &chainState{
		chain:    c,
		utxo:     c == chains.Bitcoin,
		a:        a,
		acct:     newPlaceIndex(),
		outs:     map[okey]holdID{},
		assetIDs: map[string]uint32{},
		assets:   []string{""},
		parked:   map[parkKey]*parked{},
		drains:   map[hkey]*drainWindow{},
		rstate:   map[string][]byte{},
		journals: map[uint64]*journal{},
		seen:     map[recID]struct{}{},
	}
}

// head returns the first holding at k (0: none).
func (cs *chainState) head(k hkey) holdID {
	if cs.utxo {
		t, ok := toTxid32(k.a, false)
		if !ok {
			return 0
		}
		return cs.outs[okey{t, k.n}]
	}
	a, ok := toAddr20(k.a, false)
	if !ok {
		return 0
	}
	id, ok := cs.assetID(k.b, false)
	if !ok {
		return 0
	}
	return cs.acct.get(cs.a, &akey{a, id})
}

// setHead makes h the first holding at k; 0 removes the place.
func (cs *chainState) setHead(k hkey, h holdID) {
	if cs.utxo {
		t, _ := toTxid32(k.a, true)
		if h == 0 {
			delete(cs.outs, okey{t, k.n})
		} else {
			cs.outs[okey{t, k.n}] = h
		}
		return
	}
	a, _ := toAddr20(k.a, true)
	id, _ := cs.assetID(k.b, true)
	ak := akey{a, id}
	if h == 0 {
		cs.acct.del(cs.a, &ak)
	} else {
		cs.a.holding(h).key = ak
		cs.acct.set(cs.a, &ak, h)
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
func (cs *chainState) eachHead(fn func(k hkey, h holdID)) {
	for _, h := range cs.acct.heads() {
		k := cs.a.holding(h).key
		fn(hkey{a: k.a.String(), b: cs.assets[k.asset]}, h)
	}
	for k, h := range cs.outs {
		fn(hkey{a: k.tx.String(), n: k.n}, h)
	}
}

// next returns the holding after h at its place (0: none).
func (cs *chainState) next(h holdID) holdID { return cs.a.holding(h).next }

func (cs *chainState) get(k hkey, inc *incident) holdID {
	for h := cs.head(k); h != 0; h = cs.next(h) {
		if cs.a.holding(h).inc == inc.idx {
			return h
		}
	}
	return 0
}

// getVal returns inc's holding at k as arena.view gives it (nil: none).
func (cs *chainState) getVal(k hkey, inc *incident) *holdingVal {
	if h := cs.get(k, inc); h != 0 {
		return cs.a.view(h)
	}
	return nil
}

// list appends the holdings at k (one per incident) to buf.
func (cs *chainState) list(k hkey, buf []holdID) []holdID {
	return cs.appendList(buf, cs.head(k))
}

func (cs *chainState) appendList(buf []holdID, head holdID) []holdID {
	for h := head; h != 0; h = cs.next(h) {
		buf = append(buf, h)
	}
	return buf
}

// put links h in at k, replacing (and freeing) the holding of the same
// incident.
func (cs *chainState) put(k hkey, h holdID) {
	a := cs.a
	nh := a.holding(h)
	nh.next = 0
	p := cs.head(k)
	if p == 0 {
		cs.setHead(k, h)
		return
	}
	if a.holding(p).inc == nh.inc {
		nh.next = a.holding(p).next
		cs.setHead(k, h)
		a.freeHolding(p)
		return
	}
	for ; a.holding(p).next != 0; p = a.holding(p).next {
		if q := a.holding(p).next; a.holding(q).inc == nh.inc {
			nh.next = a.holding(q).next
			a.holding(p).next = h
			a.freeHolding(q)
			return
		}
	}
	a.holding(p).next = h
}

// putVal stores a holding with v's contents at k.
func (cs *chainState) putVal(k hkey, v *holdingVal) { cs.put(k, cs.a.store(v)) }

// del unlinks and frees inc's holding at k.
func (cs *chainState) del(k hkey, inc *incident) {
	a := cs.a
	p := cs.head(k)
	if p == 0 {
		return
	}
	if a.holding(p).inc == inc.idx {
		cs.setHead(k, a.holding(p).next)
		a.freeHolding(p)
		return
	}
	for ; a.holding(p).next != 0; p = a.holding(p).next {
		if q := a.holding(p).next; a.holding(q).inc == inc.idx {
			a.holding(p).next = a.holding(q).next
			a.freeHolding(q)
			return
		}
	}
}

// incident is the engine's runtime view of a watchlists.Incident.
type incident struct {
	def    watchlists.Incident
	policy watchlists.Policy
	dust   uint256.Int
	// dustOn is the dust floor on the other chains the incident's taint
	// may reach (a swap's payout): the configured one of each chain, in
	// its own unit.
	dustOn  map[chains.Chain]*uint256.Int
	maxHops int
	// confFloor: a recogniser's move of lower confidence carries no taint on.
	confFloor float64
	seedTx    map[string]bool
	seedAddr  map[string]uint64 // compromised address → from block
	idx       uint32            // index in the engine's arena (0: unregistered)
	start     uint64            // the block the seeds start at
	hasStart  bool

	// Mutable per block, journaled under the incident's key.
	rt incRuntime

	// Catch-up progress (in memory; rt.cursor is the persisted part):
	// the head it catches up with, when it began and from which cursor
	// (for its rate), and the error that stopped it.
	target    uint64
	cuBegan   time.Time
	cuFrom    uint64
	caughtErr string
}

// incRuntime is the part of an incident that blocks change.
type incRuntime struct {
	stolen map[string]*uint256.Int // asset key → stolen amount
	joined bool                    // follows the live stream
	cursor uint64                  // catch-up: last block applied for it
	closed bool
	// absent marks a journal prior of an incident the block itself opened
	// (an automatic one): undoing the block removes the incident.
	absent bool
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

// heldOutput returns the value and address of a tracked outpoint.
func (ap *applier) heldOutput(op chains.Outpoint) (int64, string, bool) {
	id := ap.cs.head(utxoKey(op))
	if id == 0 {
		return 0, "", false
	}
	a := ap.e.a
	h := a.holding(id)
	bal := a.get(h.bal)
	addr := ""
	if h.via != 0 {
		addr = a.hop(h.via).to.String()
	}
	return int64(bal.Uint64()), addr, true
}
