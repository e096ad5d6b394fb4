package tracer

import (
	"strings"

	"github.com/chainhound/chainhound/chains"
)

type recKind uint8

const (
	recHolding recKind = iota + 1
	recHop
	recIncident
	recParked
	recDrain
	recRState // a recogniser's State key (k.a = name/key)
)

// rec is one thing a block changed, with its value before the block (prior
// nil: it did not exist). The journal's records are also the block's
// dirty set: the batch writes their current values.
type rec struct {
	kind  recKind
	chain chains.Chain
	k     hkey
	inc   *incident
	h     hopID // recHop: the hop created
	prior any   // *holdingVal, incRuntime, *parked, *drainWindow, []byte, or nil
}

// recID names what a record is about, for the journal's seen set (hop
// records are never in it: each names a hop of its own).
type recID struct {
	kind  recKind
	chain chains.Chain
	k     hkey
	inc   *incident
}

func (r *rec) id() recID { return recID{r.kind, r.chain, r.k, r.inc} }

// journal is what one block changed.
type journal struct {
	ref chains.BlockRef
	// seq orders journals across chains: the engine's count of blocks
	// applied when this one was applied (or last added to, by a
	// catch-up). Undo follows it back (rewind.go).
	seq      uint64
	prev     chains.BlockRef // the chain's last block before this one
	hadPrev  bool
	recs     []rec
	findings []Finding
	// seen is the set of recs' ids (hops aside) while records are added:
	// the chain's reused set for the block being applied, nil once it is
	// applied, rebuilt from recs if records are added later (catch-up).
	seen map[recID]struct{}
}

func newJournal(ref chains.BlockRef) *journal {
	return &journal{ref: ref}
}

// seenSet returns j's set of record ids, building it when it has none.
func (j *journal) seenSet() map[recID]struct{} {
	if j.seen == nil {
		j.seen = make(map[recID]struct{}, len(j.recs))
		for i := range j.recs {
			if j.recs[i].kind != recHop {
				j.seen[j.recs[i].id()] = struct{}{}
			}
		}
	}
	return j.seen
}

// record adds r unless a record of the same thing is already there (the
// first prior is the one that undoes the block).
func (j *journal) record(r rec) {
	if r.kind == recHop {
		j.recs = append(j.recs, r) // a new hop: recorded once by construction
		return
	}
	id := r.id()
	seen := j.seenSet()
	if _, ok := seen[id]; ok {
		return
	}
	seen[id] = struct{}{}
	j.recs = append(j.recs, r)
}

// recordNew adds r whose id the caller just found absent from j.seen.
func (j *journal) recordNew(id recID, r rec) {
	j.seenSet()[id] = struct{}{}
	j.recs = append(j.recs, r)
}

// touchHolding records the holding of inc at k before it changes.
func (e *Engine) touchHolding(j *journal, cs *chainState, k hkey, inc *incident) {
	id := recID{kind: recHolding, chain: cs.chain, k: k, inc: inc}
	if _, ok := j.seenSet()[id]; ok {
		return
	}
	// A journal outlives its block by the finality depth; a Bitcoin
	// outpoint's txid is a substring of its block's hex of every spent
	// txid, which must not be kept alive that long.
	k.a = strings.Clone(k.a)
	var prior any
	if h := cs.get(k, inc); h != 0 {
		prior = cs.a.value(h)
	}
	j.recordNew(id, rec{kind: recHolding, chain: cs.chain, k: k, inc: inc, prior: prior})
}

func (e *Engine) touchIncident(j *journal, inc *incident) {
	id := recID{kind: recIncident, inc: inc}
	if _, ok := j.seenSet()[id]; ok {
		return
	}
	j.recordNew(id, rec{kind: recIncident, inc: inc, prior: inc.rt.clone()})
}

func (e *Engine) touchParked(j *journal, cs *chainState, pk parkKey) {
	k := hkey{a: pk.service, b: pk.asset}
	id := recID{kind: recParked, chain: cs.chain, k: k, inc: pk.inc}
	if _, ok := j.seenSet()[id]; ok {
		return
	}
	var prior any
	if p := cs.parked[pk]; p != nil {
		c := *p
		prior = &c
	}
	j.recordNew(id, rec{kind: recParked, chain: cs.chain, k: k, inc: pk.inc, prior: prior})
}

func (e *Engine) touchDrain(j *journal, cs *chainState, k hkey) {
	id := recID{kind: recDrain, chain: cs.chain, k: k}
	if _, ok := j.seenSet()[id]; ok {
		return
	}
	var prior any
	if d := cs.drains[k]; d != nil {
		prior = d.clone()
	}
	j.recordNew(id, rec{kind: recDrain, chain: cs.chain, k: k, prior: prior})
}

func (e *Engine) recordHop(j *journal, h hopID) {
	j.record(rec{kind: recHop, chain: e.a.chainOf(h), h: h, inc: e.a.hopInc(h)})
}

// undo restores every record's prior value, newest first.
func (e *Engine) undo(j *journal) { e.undoRecs(j.recs) }

// truncate undoes and forgets j's records from mark on.
func (e *Engine) truncate(j *journal, mark int) {
	e.undoRecs(j.recs[mark:])
	for i := mark; i < len(j.recs); i++ {
		delete(j.seen, j.recs[i].id())
	}
	j.recs = j.recs[:mark]
}

func (e *Engine) undoRecs(recs []rec) {
	for i := len(recs) - 1; i >= 0; i-- {
		r := &recs[i]
		switch r.kind {
		case recHolding:
			cs := e.chainState(r.chain)
			if r.prior == nil || r.inc.rt.closed { // a closed incident stays without holdings
				cs.del(r.k, r.inc)
			} else {
				cs.putVal(r.k, r.prior.(*holdingVal))
			}
		case recIncident:
			prior := r.prior.(incRuntime)
			if prior.absent {
				// The block opened it (a drain's automatic incident): it
				// goes with the block, and a block applying the same drain
				// again opens it again. Closed, so a catch-up still holding
				// it stops.
				r.inc.rt = prior.clone()
				if e.incidents[r.inc.def.ID] == r.inc {
					delete(e.incidents, r.inc.def.ID)
				}
				continue
			}
			// Closing is not undone by a reorg, nor is joining the live
			// stream: the catch-up that joined is over, and the live stream
			// brings the incident the blocks of the new branch.
			closed, joined := r.inc.rt.closed, r.inc.rt.joined
			r.inc.rt = prior.clone()
			r.inc.rt.closed = r.inc.rt.closed || closed
			r.inc.rt.joined = r.inc.rt.joined || joined
		case recParked:
			cs := e.chainState(r.chain)
			pk := parkKey{inc: r.inc, service: r.k.a, asset: r.k.b}
			if r.prior == nil || r.inc.rt.closed {
				delete(cs.parked, pk)
			} else {
				c := *r.prior.(*parked)
				cs.parked[pk] = &c
			}
		case recDrain:
			cs := e.chainState(r.chain)
			if r.prior == nil {
				delete(cs.drains, r.k)
			} else {
				cs.drains[r.k] = r.prior.(*drainWindow).clone()
			}
		case recRState:
			cs := e.chainState(r.chain)
			if r.prior == nil {
				delete(cs.rstate, r.k.a)
			} else {
				cs.rstate[r.k.a] = r.prior.([]byte)
			}
		case recHop:
			// The holdings restored above no longer name it; the sweep
			// frees it once nothing else does (sweep.go lists the roots).
			e.a.hop(r.h).flags |= hopDead
			e.a.unroot(r.h)
		}
	}
}

// batch returns the store writes that bring the store in line with the
// current state of everything recs name.
func (e *Engine) batch(recs []rec) (puts []KV, dels [][]byte) {
	for i := range recs {
		r := &recs[i]
		switch r.kind {
		case recHolding:
			cs := e.chainState(r.chain)
			key := holdingKey(r.chain, r.k, r.inc)
			if h := cs.get(r.k, r.inc); h != 0 {
				puts = append(puts, KV{key, e.a.encodeHolding(cs.a.view(h))})
			} else {
				dels = append(dels, key)
			}
		case recHop:
			// A hop exists as long as some journal or holding may name it;
			// it is written when created and deleted when its block is undone.
			if e.a.hop(r.h).flags&hopDead == 0 {
				puts = append(puts, KV{e.a.hopKey(r.h), e.a.encodeHop(r.h)})
			} else {
				dels = append(dels, e.a.hopKey(r.h))
			}
		case recIncident:
			if e.incidents[r.inc.def.ID] != r.inc { // removed by the undo of the block that opened it
				dels = append(dels, incidentKey(r.inc.def.ID))
			} else {
				puts = append(puts, KV{incidentKey(r.inc.def.ID), encodeIncident(r.inc)})
			}
		case recParked:
			cs := e.chainState(r.chain)
			pk := parkKey{inc: r.inc, service: r.k.a, asset: r.k.b}
			key := parkedKey(r.chain, pk)
			if p := cs.parked[pk]; p != nil {
				puts = append(puts, KV{key, e.a.encodeParked(p)})
			} else {
				dels = append(dels, key)
			}
		case recDrain:
			cs := e.chainState(r.chain)
			key := drainKey(r.chain, r.k)
			if d := cs.drains[r.k]; d != nil {
				puts = append(puts, KV{key, encodeDrain(d)})
			} else {
				dels = append(dels, key)
			}
		case recRState:
			cs := e.chainState(r.chain)
			key := rstateKey(string(r.chain), r.k.a)
			if v, ok := cs.rstate[r.k.a]; ok {
				puts = append(puts, KV{key, v})
			} else {
				dels = append(dels, key)
			}
		}
	}
	return puts, dels
}
