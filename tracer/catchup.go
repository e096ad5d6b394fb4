package tracer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chainhound/chainhound/chains"
)

// startCatchUp replays inc's past blocks in the background. Call with e.mu
// held; the goroutine takes the lock block by block.
func (e *Engine) startCatchUp(inc *incident) {
	inc.cuBegan, inc.cuFrom = time.Now(), inc.rt.cursor
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		err := e.catchUp(e.bg, inc)
		if err != nil && !errors.Is(err, context.Canceled) {
			e.mu.Lock()
			e.failIncident(e.bg, inc, err)
			e.mu.Unlock()
		}
	}()
}

// failIncident marks inc failed with err's reason and raises
// incident.failed for its owner. Call with e.mu held.
func (e *Engine) failIncident(ctx context.Context, inc *incident, err error) {
	inc.caughtErr = err.Error()
	e.log.Error("incident failed: not followed", "incident", inc.def.ID, "chain", inc.def.Chain, "err", err)
	if e.deps.Sink == nil {
		return
	}
	f := newFinding(IncidentFailed, inc.def.Chain, fmt.Sprintf("failed@%d", inc.rt.cursor), nil, 0, inc.def.ID)
	f.Incident = inc.def.ID
	f.Audience = AudienceIncidentOwner
	f.Time = time.Now().UTC().Truncate(time.Second)
	f.Reason = inc.caughtErr
	if rerr := e.deps.Sink.Raise(ctx, []Finding{f}); rerr != nil {
		e.log.Error("raise incident.failed", "incident", inc.def.ID, "err", rerr)
	}
}

// CatchUpSyncEvery is how often, at most, a catch-up waits for the disk:
// its other blocks are written with chains.DeferSync, and the block that
// reaches the head, the incident's joining the live stream and any alert
// are written synced.
const CatchUpSyncEvery = time.Second

// fetchFrom is src's BlockByNumber for chains.FetchRange, checking that
// the block is the one asked for.
func fetchFrom(src chains.BlockSource) func(context.Context, uint64) (*chains.Block, error) {
	return func(ctx context.Context, n uint64) (*chains.Block, error) {
		b, err := src.BlockByNumber(ctx, n)
		if err == nil && (b == nil || b.Ref.Number != n) {
			err = fmt.Errorf("block source returned the wrong block for %d", n)
		}
		return b, err
	}
}

// catchUp replays blocks for inc alone until it reaches the live head,
// then joins the live stream.
func (e *Engine) catchUp(ctx context.Context, inc *incident) error {
	chain := inc.def.Chain
	if e.deps.Sources[chain] == nil && e.idx == nil {
		return fmt.Errorf("no block source for %s", chain)
	}
	src := e.Source(chain, nil)
	conc := e.cfg.CatchUpConcurrency
	var synced time.Time
	for {
		e.mu.Lock()
		if inc.rt.closed {
			e.mu.Unlock()
			return nil
		}
		cs := e.chainState(chain)
		target := cs.last.Number
		inc.target = target
		if !cs.hasLast || inc.rt.cursor >= target {
			inc.rt.joined = true
			err := e.saveIncident(ctx, inc)
			e.mu.Unlock()
			e.log.Info("catch-up done: incident joins the live stream", "incident", inc.def.ID, "chain", chain, "block", target)
			return err
		}
		from := inc.rt.cursor + 1
		e.mu.Unlock()
		to := target
		if max := from + uint64(4*conc) - 1; to > max {
			to = max
		}
		fetch := fetchFrom(src)
		lim := chains.FetchLimits{Concurrency: conc, Window: int(to - from + 1)}
		var heads *headBalances
		var applyErr error
		apply := func(_ uint64, b *chains.Block) error {
			// Blocks short of the target defer their sync, one synced
			// a second (decision 0019): a crash loses at most a second
			// of the catch-up, whose cursor is written with its blocks.
			bctx := ctx
			if now := time.Now(); b.Ref.Number < target && now.Sub(synced) < CatchUpSyncEvery {
				bctx = chains.DeferSync(ctx)
			} else {
				synced = now
			}
			applied, err := e.catchUpBlock(bctx, inc, b, heads)
			if err != nil {
				applyErr = err
				return err
			}
			if !applied {
				return chains.ErrStopFetch // rewound or another branch: start over from the cursor
			}
			return nil
		}
		// Where the index holds the window, its blocks come at once: the
		// clean balances of the holders they will make are read ahead, in
		// batches, rather than one node call each (decision 0021), and the
		// blocks fetched before a failed one are applied first.
		// Elsewhere blocks are applied as they come.
		var err error
		if e.readsAhead(ctx, inc, from, to) {
			blocks := make([]*chains.Block, 0, to-from+1)
			err = chains.FetchRange(ctx, from, to, lim, fetch, func(_ uint64, b *chains.Block) error {
				blocks = append(blocks, b)
				return nil
			})
			heads = e.readHeadBalances(ctx, inc, blocks)
			for i, b := range blocks {
				if aerr := apply(from+uint64(i), b); aerr != nil {
					if aerr == chains.ErrStopFetch {
						aerr = nil
					}
					err = aerr
					break
				}
			}
		} else {
			err = chains.FetchRange(ctx, from, to, lim, fetch, apply)
		}
		if err != nil && err == applyErr {
			return err
		}
		if err != nil {
			return fmt.Errorf("catch-up of incident %s: fetch %s blocks %d–%d: %w", inc.def.ID, chain, from, to, err)
		}
	}
}

// catchUpBlock applies b for inc alone. It returns false when b no longer
// fits (a reorg rewound the incident or b is on another branch).
// heads, if not nil, answers the node calls of clean-balance reads.
func (e *Engine) catchUpBlock(ctx context.Context, inc *incident, b *chains.Block, heads *headBalances) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	defer e.maybeSweep()
	cs := e.chainState(inc.def.Chain)
	if inc.rt.closed || inc.rt.joined || inc.rt.cursor+1 != b.Ref.Number || !cs.hasLast || b.Ref.Number > cs.last.Number {
		return false, nil
	}
	lj := cs.journals[b.Ref.Number]
	if lj != nil && lj.ref.Hash != b.Ref.Hash {
		return false, nil
	}
	live := lj != nil
	if !live {
		lj = newJournal(b.Ref) // final block: nothing will undo it
	}
	defer func() { lj.seen = nil }() // rebuilt from the records if needed again
	mark, fmark := len(lj.recs), len(lj.findings)
	if heads != nil && !heads.valid(cs) {
		heads = nil // its block was reorged away: ask the node
	}
	ap := &applier{e: e, ctx: ctx, cs: cs, b: b, j: lj, only: inc, heads: heads}
	if err := ap.run(); err != nil {
		e.truncate(lj, mark)
		return false, fmt.Errorf("catch-up of incident %s: %w", inc.def.ID, err)
	}
	e.touchIncident(lj, inc)
	inc.rt.cursor = b.Ref.Number
	if live {
		e.jseq++
		lj.seq = e.jseq // added to now: undone before what came earlier
	}
	if live {
		lj.findings = append(lj.findings, ap.findings...)
	}
	if len(ap.findings) > 0 && e.deps.Sink != nil {
		if err := e.deps.Sink.Raise(ctx, ap.findings); err != nil {
			e.truncate(lj, mark)
			lj.findings = lj.findings[:fmark]
			return false, fmt.Errorf("catch-up of incident %s: raise findings: %w", inc.def.ID, err)
		}
	}
	if e.deps.Store != nil {
		puts, dels := e.batch(lj.recs[mark:])
		if live {
			puts = append(puts, KV{journalKey(cs.chain, b.Ref.Number), e.a.encodeJournal(lj)})
		}
		if err := e.deps.Store.SaveTracer(ctx, puts, dels); err != nil {
			e.truncate(lj, mark)
			lj.findings = lj.findings[:fmark]
			return false, fmt.Errorf("catch-up of incident %s: save block %d: %w", inc.def.ID, b.Ref.Number, err)
		}
	}
	return true, nil
}
