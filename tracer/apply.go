package tracer

import (
	"context"
	"fmt"
	"sort"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/holiman/uint256"
)

// applier applies one block (or one mempool transaction) for a set of
// incident lanes, recording every change in j.
type applier struct {
	e     *Engine
	ctx   context.Context
	cs    *chainState
	b     *chains.Block
	j     *journal
	only  *incident     // catch-up: the one lane applied; nil = every live lane
	live  bool          // the live pass: treasury rules and recognisers run
	heads *headBalances // catch-up: node balances read ahead (nil: none)

	findings []Finding
	drains   []drainHit
	outVals  map[chains.Outpoint]int64 // this block's outputs, built on demand
	flows    map[hkey][]flow           // this block's transfers by address, built on demand
	transit  map[int][]transitTaint    // the current tx's conversions under way, by the completing transfer
	wraps    int8                      // whether the current tx holds a WETH Wrap: 0 not asked yet, 1 yes, -1 no
	txSeeds  map[string][]*incident
	addrSeed map[string][]*incident

	treasuries int8 // whether any treasury is watched on this chain: 0 not asked yet, 1 yes, -1 no
	// redo: per other chain, the height of a block that paid what a move
	// of this block credits, when the chain has applied blocks after it
	// (rewind.go applies them again after this block).
	redo map[chains.Chain]uint64
}

// watchesTreasury reports, once per block, whether the labels may hold a
// treasury on this chain (yes when they cannot tell).
func (ap *applier) watchesTreasury() bool {
	if ap.treasuries == 0 {
		ap.treasuries = 1
		if w, ok := ap.e.deps.Labels.(KindWatcher); ok && !w.Watches(ap.cs.chain, watchlists.Treasury) {
			ap.treasuries = -1
		}
	}
	return ap.treasuries > 0
}

// inLane reports whether this pass moves inc's holdings. The live pass
// moves every live incident's, on whatever chain they are: taint a bridge
// or swap carried to another chain is followed there.
func (ap *applier) inLane(inc *incident) bool {
	if ap.only != nil {
		return inc == ap.only
	}
	return inc.active()
}

// lanes returns the incidents whose seeds this pass applies (those of
// this chain), in id order.
func (ap *applier) lanes() []*incident {
	if ap.only != nil {
		return []*incident{ap.only}
	}
	var out []*incident
	for _, inc := range ap.e.incidents {
		if ap.inLane(inc) && inc.def.Chain == ap.cs.chain {
			out = append(out, inc)
		}
	}
	sort.Slice(out, func(i, k int) bool { return out[i].def.ID < out[k].def.ID })
	return out
}

func (ap *applier) indexSeeds() {
	ap.txSeeds = map[string][]*incident{}
	ap.addrSeed = map[string][]*incident{}
	for _, inc := range ap.lanes() {
		for tx := range inc.seedTx {
			ap.txSeeds[tx] = append(ap.txSeeds[tx], inc)
		}
		for a, from := range inc.seedAddr {
			if ap.b.Ref.Number >= from {
				ap.addrSeed[a] = append(ap.addrSeed[a], inc)
			}
		}
	}
}

func (ap *applier) run() error {
	ap.indexSeeds()
	for i := range ap.b.Txs {
		if err := ap.ctx.Err(); err != nil {
			return err
		}
		tx := &ap.b.Txs[i]
		mark := len(ap.findings)
		var err error
		if ap.cs.utxo {
			err = ap.applyUTXOTx(i, tx)
		} else {
			err = ap.applyAccountTx(i, tx)
		}
		// A transaction that carries taint teaches nothing: the thief
		// emptying its address into an exchange is not the exchange
		// sweeping a deposit address, and must not make the thief's
		// address a service where tracking stops.
		if err == nil && ap.live && !carriesTaint(ap.findings[mark:]) {
			err = ap.learnSweeps(i, tx)
		}
		if err != nil {
			return fmt.Errorf("%s block %d tx %s: %w", ap.cs.chain, ap.b.Ref.Number, tx.Hash, err)
		}
		if err := ap.recognise(i, tx, ap.findings[mark:]); err != nil {
			return err
		}
	}
	return nil
}

// carriesTaint reports whether any of fs moved taint.
func carriesTaint(fs []Finding) bool {
	for i := range fs {
		if fs[i].Tainted != nil && fs[i].Tainted.Sign() > 0 {
			return true
		}
	}
	return false
}

// newHop creates and journals a hop.
func (ap *applier) newHop(inc *incident, parent hopID, tx *chains.Tx, seq int, from, to string, amt *uint256.Int) hopID {
	h := ap.e.a.newHop(inc, parent, ap.cs.chain, tx.Hash, int32(seq), uint32(ap.b.Ref.Number), from, to, amt)
	ap.e.recordHop(ap.j, h)
	return h
}

// dustOf is inc's dust floor on the chain being applied: its own on its
// chain, the configured one of any other chain its taint reached.
func (ap *applier) dustOf(inc *incident) *uint256.Int {
	if ap.cs.chain == inc.def.Chain {
		return &inc.dust
	}
	if d := inc.dustOn[ap.cs.chain]; d != nil {
		return d
	}
	return new(uint256.Int)
}

// million is the denominator of shares in millionths.
var million = *uint256.NewInt(1_000_000)

// cutoff reports whether a new holding of x taint is too small to keep:
// below the incident's dust floor or, when the receiver is no service
// (reports false), below MinShare of what it stole. Taint above dust that
// reaches an exchange, mixer, bridge or sanctioned address is never cut:
// the share sets the alert's severity, not whether it exists (docs/taint.md).
func (ap *applier) cutoff(inc *incident, asset string, x *uint256.Int, reports bool) bool {
	if x.IsZero() || x.Lt(ap.dustOf(inc)) {
		return true
	}
	// The share is of what was stolen, in the incident's chain's units:
	// on another chain only dust cuts.
	if !reports && !ap.e.minSharePPM.IsZero() && inc.def.Chain == ap.cs.chain {
		if st := inc.stolenOf(asset); st != nil && !st.IsZero() {
			var min uint256.Int
			min.MulDivOverflow(st, &ap.e.minSharePPM, &million)
			if x.Lt(&min) {
				return true
			}
		}
	}
	return false
}

func (ap *applier) addStolen(inc *incident, asset string, amt *uint256.Int) {
	ap.e.touchIncident(ap.j, inc)
	st := inc.rt.stolen[asset]
	if st == nil {
		st = new(uint256.Int)
		inc.rt.stolen[asset] = st
	}
	st.Add(st, amt)
}

// connect applies a block to every live lane.
func (e *Engine) connect(ctx context.Context, b *chains.Block) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	defer e.maybeSweep()
	cs := e.chainState(b.Chain)
	if cs.hasLast {
		if cs.last.Hash == b.Ref.Hash {
			return nil // already applied
		}
		if j := cs.journals[b.Ref.Number]; j != nil && j.ref.Hash == b.Ref.Hash && b.Ref.Number < cs.last.Number {
			return nil // an older block already applied, redelivered
		}
		if b.Ref.Number <= cs.last.Number {
			return fmt.Errorf("%s block %s does not extend the last applied block %s: disconnect first", b.Chain, b.Ref, cs.last)
		}
		// The engine may be behind its follower: another chain's reorg
		// undid this chain's blocks and could not apply them all again
		// (rewind.go). It fetches what it lacks from the block source.
		if b.Ref.Parent != "" && b.Ref.Number > cs.last.Number+1 && e.deps.Sources[b.Chain] != nil {
			if err := e.fill(ctx, cs, b.Ref.Number-1); err != nil {
				return err
			}
		}
		// A follower names each block's parent: a block that does not sit on
		// the last applied one means blocks were missed. (Offline replays
		// leave Parent empty and may skip empty heights.)
		if b.Ref.Parent != "" && (b.Ref.Number != cs.last.Number+1 || b.Ref.Parent != cs.last.Hash) {
			return fmt.Errorf("%s block %s (parent %s) does not follow the last applied block %s", b.Chain, b.Ref, b.Ref.Parent, cs.last)
		}
	}
	return e.connectLocked(ctx, cs, b, true)
}

// connectLocked applies b on top of cs's last block, raises its findings
// and writes it. With reorder, a move onto an output (or address) another
// chain paid in a block before that chain's last one re-applies that
// chain's later blocks after b (rewind.go), so that a spend already
// applied carries the taint on.
func (e *Engine) connectLocked(ctx context.Context, cs *chainState, b *chains.Block, reorder bool) error {
	var kvs func() []KV
	if e.idx != nil && e.deps.Store != nil {
		if kvs = encodeAhead(b); kvs != nil {
			defer kvs() // not reading b after an error either
		}
	}
	j, redo, err := e.applyBlock(ctx, cs, b)
	if err != nil {
		return err
	}
	var st *step
	if reorder && len(redo) > 0 {
		if st, err = e.insertBefore(ctx, cs, b, j, redo); err != nil {
			return err
		}
		j = cs.journals[b.Ref.Number]
	}
	if st == nil {
		st = &step{}
		st.raise = j.findings
	}
	st.recs = append(st.recs, j.recs...)
	st.journal(cs.chain, b.Ref.Number)
	st.indexPut(b, kvs)
	for _, h := range e.pruneJournals(cs, b.Ref.Number) {
		st.journal(cs.chain, h)
	}
	if len(st.raise) > 0 && e.deps.Sink != nil {
		if err := e.deps.Sink.Raise(ctx, st.raise); err != nil {
			if len(st.journals) <= 1 { // b alone: as if never applied
				e.rollback(cs, j)
			}
			return fmt.Errorf("raise findings of %s block %s: %w", b.Chain, b.Ref, err)
		}
	}
	if err := e.save(ctx, st); err != nil {
		if len(st.journals) <= 1 {
			e.rollback(cs, j)
		}
		return fmt.Errorf("save tracer state of %s block %s: %w", cs.chain, j.ref, err)
	}
	if len(st.retract) > 0 && e.deps.Sink != nil {
		if err := e.deps.Sink.Retract(ctx, st.retract); err != nil {
			return fmt.Errorf("retract findings of blocks applied again after %s block %s: %w", b.Chain, b.Ref, err)
		}
	}
	return nil
}

// applyBlock applies b on top of cs's last block in memory: its journal
// becomes cs's newest. redo names, per other chain, the height after
// which that chain's blocks must be applied again (a move onto what one
// of them paid before its last block).
func (e *Engine) applyBlock(ctx context.Context, cs *chainState, b *chains.Block) (*journal, map[chains.Chain]uint64, error) {
	j := newJournal(b.Ref)
	j.prev, j.hadPrev = cs.last, cs.hasLast
	if len(cs.seen) > 1<<16 {
		cs.seen = map[recID]struct{}{} // do not clear a huge table block after block
	} else {
		clear(cs.seen)
	}
	j.seen = cs.seen
	defer func() { j.seen = nil }()
	ap := &applier{e: e, ctx: ctx, cs: cs, b: b, j: j, live: true}
	if err := ap.run(); err != nil {
		e.undo(j)
		return nil, nil, err
	}
	if err := e.autoIncidents(ctx, ap); err != nil {
		e.undo(j)
		return nil, nil, err
	}
	j.findings = ap.findings
	e.jseq++
	j.seq = e.jseq
	cs.last, cs.hasLast = b.Ref, true
	cs.journals[b.Ref.Number] = j
	return j, ap.redo, nil
}

// rollback undoes a block applied in memory whose persistence failed.
func (e *Engine) rollback(cs *chainState, j *journal) {
	e.undo(j)
	delete(cs.journals, j.ref.Number)
	cs.last, cs.hasLast = j.prev, j.hadPrev
}

// pruneJournals drops journals deeper than the finality depth.
func (e *Engine) pruneJournals(cs *chainState, head uint64) []uint64 {
	depth := uint64(e.finalityDepth(cs.chain))
	if head < depth {
		return nil
	}
	var out []uint64
	for h := range cs.journals {
		if h+depth <= head {
			out = append(out, h)
		}
	}
	for _, h := range out {
		delete(cs.journals, h)
	}
	return out
}

// disconnect undoes the newest block and retracts its findings. Blocks of
// other chains applied after it that changed what it changed are undone
// first and applied again after it (rewind.go): undo runs in the one
// order the blocks were applied in, across chains.
func (e *Engine) disconnect(ctx context.Context, chain chains.Chain, ref chains.BlockRef) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	defer e.maybeSweep()
	cs := e.chainState(chain)
	if !cs.hasLast || cs.last.Hash != ref.Hash {
		if j := cs.journals[ref.Number]; j != nil && j.ref.Hash == ref.Hash {
			return fmt.Errorf("%s block %s is not the newest applied block %s: disconnect newest first", chain, ref, cs.last)
		}
		return nil // never applied (or already undone): nothing to do
	}
	j := cs.journals[ref.Number]
	if j == nil || j.ref.Hash != ref.Hash {
		return fmt.Errorf("%s block %s: no journal to undo it (deeper than the finality depth %d?)", chain, ref, e.finalityDepth(chain))
	}
	deps := e.dependents(cs, j)
	plan, err := e.planRewind(ctx, deps)
	if err != nil {
		return fmt.Errorf("undo %s block %s: %w", chain, ref, err)
	}
	st := &step{}
	e.rewindAll(ctx, plan, st)
	e.undoBlock(ctx, cs, j, st)
	e.applyAgain(ctx, plan, st)
	st.retract = append(st.retract, j.findings...)
	if len(st.raise) > 0 && e.deps.Sink != nil {
		if err := e.deps.Sink.Raise(ctx, st.raise); err != nil {
			return fmt.Errorf("raise findings of blocks applied again after undoing %s block %s: %w", chain, ref, err)
		}
	}
	if err := e.save(ctx, st); err != nil {
		return fmt.Errorf("save undo of %s block %s: %w", chain, ref, err)
	}
	if len(st.retract) > 0 && e.deps.Sink != nil {
		if err := e.deps.Sink.Retract(ctx, st.retract); err != nil {
			return fmt.Errorf("retract findings of %s block %s: %w", chain, ref, err)
		}
	}
	return nil
}

// undoBlock undoes cs's newest block j in memory and notes what to write.
func (e *Engine) undoBlock(ctx context.Context, cs *chainState, j *journal, st *step) {
	ref := j.ref
	e.undo(j)
	for _, r := range e.deps.Recognisers {
		if u, ok := r.(Undoer); ok {
			u.Undo(ctx, cs.chain, ref)
		}
	}
	if u, ok := e.deps.Learner.(Undoer); ok {
		u.Undo(ctx, cs.chain, ref) // what the block's sweeps taught goes with it
	}
	delete(cs.journals, ref.Number)
	cs.last, cs.hasLast = j.prev, j.hadPrev
	st.recs = append(st.recs, j.recs...)
	st.journal(cs.chain, ref.Number)
	st.indexUndo(cs.chain, ref.Number)
	// Lanes still catching up rewind past the undone block.
	for _, inc := range e.incidents {
		if inc.def.Chain == cs.chain && !inc.rt.joined && inc.rt.cursor >= ref.Number {
			inc.rt.cursor = ref.Number - 1
			st.recs = append(st.recs, rec{kind: recIncident, inc: inc})
		}
	}
}

// confirmed is a no-op for the engine: a block reaching the alert
// confirmation depth (often 1–2 blocks on Bitcoin) may still be reorged
// out, so its journal is kept until the finality depth (pruneJournals).
func (e *Engine) confirmed(ctx context.Context, chain chains.Chain, ref chains.BlockRef) error {
	return nil
}

// pending raises, marked Pending, the findings a mempool transaction would
// make, and changes nothing.
func (e *Engine) pending(ctx context.Context, chain chains.Chain, tx *chains.Tx) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	defer e.maybeSweep()
	cs := e.chainState(chain)
	next := chains.BlockRef{Number: cs.last.Number + 1, Hash: "pending", Parent: cs.last.Hash}
	b := &chains.Block{Chain: chain, Ref: next, Txs: []chains.Tx{*tx}}
	j := newJournal(next)
	ap := &applier{e: e, ctx: ctx, cs: cs, b: b, j: j, live: true}
	err := ap.run()
	e.undo(j)
	if err != nil {
		return err
	}
	if len(ap.findings) == 0 || e.deps.Sink == nil {
		return nil
	}
	for i := range ap.findings {
		ap.findings[i].Pending = true
		ap.findings[i].Block = chains.BlockRef{}
	}
	return e.deps.Sink.Raise(ctx, ap.findings)
}
