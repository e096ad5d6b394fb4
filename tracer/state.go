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

func acctKey(addr, asset string) hkey    { return hkey{a: addr, b: asset} }
func utxoKey(op chains.Outpoint) hkey    { return hkey{a: op.Tx, n: op.Index} }
func (k hkey) outpoint() chains.Outpoint { return chains.Outpoint{Tx: k.a, Index: k.n} }
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
	txIndex int32
	seq     int32 // the transfer's Seq (account), output index (UTXO), 1<<20+i for recogniser moves
	depth   uint16
	block   uint64
	chain   chains.Chain
	from    string
	to      string
	amt     uint256.Int
	dead    bool // its block was undone
}

// holding is the taint of one incident at one place.
type holding struct {
	inc   *incident
	bal   uint256.Int // account: the balance seen in this lane; UTXO: the outpoint's value
	taint uint256.Int
	via   *hop // the hop that brought (the largest part of) its taint
	fifo  []segment
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
		c.fifo = append([]segment(nil), h.fifo...)
	}
	return &c
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
	chain    chains.Chain
	utxo     bool
	holdings map[hkey][]*holding
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
		holdings: map[hkey][]*holding{},
		parked:   map[parkKey]*parked{},
		drains:   map[hkey]*drainWindow{},
		journals: map[uint64]*journal{},
	}
}

func (cs *chainState) get(k hkey, inc *incident) *holding {
	for _, h := range cs.holdings[k] {
		if h.inc == inc {
			return h
		}
	}
	return nil
}

// put stores h at k, replacing the holding of the same incident.
func (cs *chainState) put(k hkey, h *holding) {
	hs := cs.holdings[k]
	for i := range hs {
		if hs[i].inc == h.inc {
			hs[i] = h
			return
		}
	}
	cs.holdings[k] = append(hs, h)
}

func (cs *chainState) del(k hkey, inc *incident) {
	hs := cs.holdings[k]
	for i := range hs {
		if hs[i].inc == inc {
			if len(hs) == 1 {
				delete(cs.holdings, k)
				return
			}
			n := append(hs[:i:i], hs[i+1:]...)
			cs.holdings[k] = n
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
