package tracer

import (
	"context"
	"fmt"
	"slices"

	"github.com/chainhound/chainhound/chains"
)

// One order across chains. Each chain's blocks are applied and undone in
// height order, but a recogniser joins two chains (a swap's inbound on
// one, its payout on the other), so a block may change what another
// chain's block changed or paid. Two cases need that other chain's later
// blocks undone and applied again, from the block source:
//
//   - Undoing a block X that changed state that another chain's blocks
//     applied after X changed too (the payout joined X's inbound): those
//     blocks are undone first, X next, and they are applied again on top —
//     as if X had never been applied (dependents, planRewind).
//   - Applying a block whose move credits what another chain paid before
//     its newest block (the inbound arrives after its payout, and maybe
//     after the payout's output was spent): that chain's blocks after the
//     payout are undone, the block is applied, and they are applied again,
//     so that a spend already seen carries the taint on (insertBefore).
//
// A chain whose blocks cannot be fetched again or whose journals are gone
// (deeper than the finality depth) is left as it is; connect fills a gap
// the next time its follower delivers a block (fill).

// step is what one engine step changed, to be written in one batch: the
// records, the journals by chain and height (written if present, deleted
// if not), and the findings to raise and retract.
type step struct {
	recs     []rec
	journals map[chains.Chain]map[uint64]bool
	raise    []Finding
	retract  []Finding
	// index: per chain and height, the block written to the transfer
	// index or undone there.
	index map[chains.Chain]map[uint64]*idxOp
}

func (s *step) indexOp(c chains.Chain, h uint64) *idxOp {
	if s.index == nil {
		s.index = map[chains.Chain]map[uint64]*idxOp{}
	}
	if s.index[c] == nil {
		s.index[c] = map[uint64]*idxOp{}
	}
	op := s.index[c][h]
	if op == nil {
		op = &idxOp{}
		s.index[c][h] = op
	}
	return op
}

// indexPut notes b to write to the transfer index, with its entries
// when already under way (kvs, or nil).
func (s *step) indexPut(b *chains.Block, kvs func() []KV) {
	op := s.indexOp(b.Chain, b.Ref.Number)
	op.b, op.kvs = b, kvs
}

// indexUndo notes c's block at h to delete from the transfer index.
func (s *step) indexUndo(c chains.Chain, h uint64) {
	op := s.indexOp(c, h)
	op.b, op.undone = nil, true
}

func (s *step) journal(c chains.Chain, h uint64) {
	if s.journals == nil {
		s.journals = map[chains.Chain]map[uint64]bool{}
	}
	if s.journals[c] == nil {
		s.journals[c] = map[uint64]bool{}
	}
	s.journals[c][h] = true
}

// save writes st: the current values of what its records name, the
// journals it names and the last block of each chain it touched.
func (e *Engine) save(ctx context.Context, st *step) error {
	if e.deps.Store == nil {
		return nil
	}
	puts, dels := e.batch(st.recs)
	for c, hs := range st.journals {
		cs := e.chainState(c)
		for h := range hs {
			if j := cs.journals[h]; j != nil {
				puts = append(puts, KV{journalKey(c, h), e.a.encodeJournal(j)})
			} else {
				dels = append(dels, journalKey(c, h))
			}
		}
		if cs.hasLast {
			puts = append(puts, KV{lastKey(c), encodeRef(cs.last)})
		} else {
			dels = append(dels, lastKey(c))
		}
	}
	if e.idx == nil || len(st.index) == 0 {
		return e.deps.Store.SaveTracer(ctx, puts, dels)
	}
	ip, id, metas, err := e.idx.batch(ctx, st.index)
	if err != nil {
		return err
	}
	if err := e.deps.Store.SaveTracer(ctx, append(puts, ip...), append(dels, id...)); err != nil {
		return err
	}
	e.idx.commit(metas)
	return nil
}

// rewind is one chain's part of a step: its blocks above height to are
// undone and the fetched ones applied again.
type rewind struct {
	cs     *chainState
	from   uint64          // the first height undone
	blocks []*chains.Block // from … the chain's last block, fetched
	old    []Finding       // the undone blocks' findings
}

// dependents returns, per other chain, the lowest height of its blocks
// applied after j that changed something j changed (j's own changes to
// that chain's state included).
func (e *Engine) dependents(cs *chainState, j *journal) map[chains.Chain]uint64 {
	ids := make(map[recID]struct{}, len(j.recs))
	for i := range j.recs {
		if j.recs[i].kind != recHop {
			ids[j.recs[i].id()] = struct{}{}
		}
	}
	out := map[chains.Chain]uint64{}
	for c, ocs := range e.chains {
		if ocs == cs {
			continue
		}
		for h, oj := range ocs.journals {
			if oj.seq <= j.seq {
				continue
			}
			for i := range oj.recs {
				if oj.recs[i].kind == recHop {
					continue
				}
				if _, ok := ids[oj.recs[i].id()]; ok {
					if lo, seen := out[c]; !seen || h < lo {
						out[c] = h
					}
					break
				}
			}
		}
	}
	return out
}

// planRewind fetches, per chain of from, its blocks from the height given
// to its last one, and checks that each is the block applied there (its
// journal is kept). A chain that cannot be rewound is left out, with a
// warning: its blocks stay as applied.
func (e *Engine) planRewind(ctx context.Context, from map[chains.Chain]uint64) ([]*rewind, error) {
	cs := make([]chains.Chain, 0, len(from))
	for c := range from {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	var plan []*rewind
	for _, c := range cs {
		ocs := e.chainState(c)
		lo := from[c]
		src := e.deps.Sources[c]
		if src == nil || !ocs.hasLast || lo > ocs.last.Number {
			e.log.Warn("blocks of another chain depend on this one and cannot be applied again (no block source)", "chain", c, "from", lo)
			continue
		}
		r := &rewind{cs: ocs, from: lo}
		ok := true
		for h := lo; h <= ocs.last.Number; h++ {
			oj := ocs.journals[h]
			if oj == nil {
				continue // an offline replay's empty height
			}
			b, err := src.BlockByNumber(ctx, h)
			if err != nil {
				return nil, fmt.Errorf("fetch %s block %d to apply it again: %w", c, h, err)
			}
			if b == nil || b.Ref.Hash != oj.ref.Hash {
				// The node moved on to another branch: the follower
				// undoes these blocks itself.
				e.log.Warn("blocks of another chain depend on this one, but the node has reorged them", "chain", c, "height", h)
				ok = false
				break
			}
			r.blocks = append(r.blocks, b)
		}
		if !ok || !e.canRewind(ocs, r.from) {
			continue
		}
		plan = append(plan, r)
	}
	return plan, nil
}

// canRewind reports whether cs's journals reach from its last block down
// to height from.
func (e *Engine) canRewind(cs *chainState, from uint64) bool {
	if !cs.hasLast {
		return false
	}
	ref, has := cs.last, cs.hasLast
	for has && ref.Number >= from {
		j := cs.journals[ref.Number]
		if j == nil || j.ref.Hash != ref.Hash {
			e.log.Warn("blocks of another chain depend on this one but their journals are gone (deeper than the finality depth)", "chain", cs.chain, "height", ref.Number)
			return false
		}
		ref, has = j.prev, j.hadPrev
	}
	return true
}

// rewindAll undoes each planned chain's blocks from its height on, newest
// first.
func (e *Engine) rewindAll(ctx context.Context, plan []*rewind, st *step) {
	for _, r := range plan {
		for r.cs.hasLast && r.cs.last.Number >= r.from {
			j := r.cs.journals[r.cs.last.Number]
			r.old = append(r.old, j.findings...)
			e.undoBlock(ctx, r.cs, j, st)
		}
	}
}

// applyAgain applies each planned chain's fetched blocks on top of what
// is left, and notes the findings to raise (all of them: those raised
// before raise nothing again) and to retract (those no longer found).
// A block that fails stops its chain there: connect fills the gap later.
func (e *Engine) applyAgain(ctx context.Context, plan []*rewind, st *step) {
	for _, r := range plan {
		now := map[string]bool{}
		for _, b := range r.blocks {
			if b.Ref.Parent != "" && r.cs.hasLast && b.Ref.Parent != r.cs.last.Hash {
				break
			}
			j, _, err := e.applyBlock(ctx, r.cs, b)
			if err != nil {
				e.log.Warn("block applied again failed: the chain catches up on its next block", "chain", r.cs.chain, "block", b.Ref, "err", err)
				break
			}
			st.recs = append(st.recs, j.recs...)
			st.journal(r.cs.chain, b.Ref.Number)
			st.indexPut(b, nil)
			st.raise = append(st.raise, j.findings...)
			for _, f := range j.findings {
				now[f.ID] = true
			}
		}
		for _, f := range r.old {
			if !now[f.ID] {
				st.retract = append(st.retract, f)
			}
		}
	}
}

// insertBefore re-applies b (just applied as cs's newest block j) after
// undoing the blocks of other chains that come after what b's moves paid
// into (redo: per chain, the payout's height), then applies those blocks
// again. It returns the step to write.
func (e *Engine) insertBefore(ctx context.Context, cs *chainState, b *chains.Block, j *journal, redo map[chains.Chain]uint64) (*step, error) {
	from := make(map[chains.Chain]uint64, len(redo))
	for c, h := range redo {
		from[c] = h + 1
	}
	plan, err := e.planRewind(ctx, from)
	if err != nil {
		e.rollback(cs, j)
		return nil, err
	}
	if len(plan) == 0 {
		return nil, nil
	}
	st := &step{}
	// j is undone and applied again after the rewind: nothing was raised
	// or written of it yet.
	e.rollback(cs, j)
	for _, r := range e.deps.Recognisers {
		if u, ok := r.(Undoer); ok {
			u.Undo(ctx, cs.chain, b.Ref)
		}
	}
	e.rewindAll(ctx, plan, st)
	j, _, err = e.applyBlock(ctx, cs, b)
	if err != nil {
		// The other chains are rewound: apply their blocks again and
		// write that; b is refused and comes again from its follower.
		e.applyAgain(ctx, plan, st)
		if serr := e.save(ctx, st); serr != nil {
			return nil, fmt.Errorf("%w (and saving the other chains: %v)", err, serr)
		}
		return nil, err
	}
	st.raise = append(st.raise, j.findings...)
	e.applyAgain(ctx, plan, st)
	return st, nil
}

// fill applies cs's blocks after its last one up to height to, fetched
// from the chain's block source: the engine is behind its follower after
// another chain's reorg could not apply them all again.
func (e *Engine) fill(ctx context.Context, cs *chainState, to uint64) error {
	src := e.deps.Sources[cs.chain]
	for cs.last.Number < to {
		n := cs.last.Number + 1
		b, err := src.BlockByNumber(ctx, n)
		if err != nil {
			return fmt.Errorf("fetch %s block %d the engine lacks: %w", cs.chain, n, err)
		}
		if b == nil || b.Ref.Number != n || (b.Ref.Parent != "" && b.Ref.Parent != cs.last.Hash) {
			return fmt.Errorf("%s block %d the engine lacks does not follow its last applied block %s", cs.chain, n, cs.last)
		}
		e.log.Info("applying a block the engine lacks", "chain", cs.chain, "block", b.Ref)
		if err := e.connectLocked(ctx, cs, b, true); err != nil {
			return err
		}
	}
	return nil
}
