package tracer

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

type fetched struct {
	b   *chains.Block
	err error
}

// fetchRange fetches blocks from..to with at most conc requests at once and
// delivers them in height order. stop cuts the fetching short and returns
// once every goroutine it started is done; calling it again does nothing.
func fetchRange(ctx context.Context, src chains.BlockSource, from, to uint64, conc int) (out []chan fetched, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	out = make([]chan fetched, to-from+1)
	sem := make(chan struct{}, conc)
	for i := range out {
		out[i] = make(chan fetched, 1)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range out {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				for k := i; k < len(out); k++ {
					out[k] <- fetched{err: ctx.Err()}
				}
				return
			}
			wg.Go(func() {
				defer func() { <-sem }()
				n := from + uint64(i)
				b, err := src.BlockByNumber(ctx, n)
				if err == nil && (b == nil || b.Ref.Number != n) {
					err = fmt.Errorf("block source returned the wrong block for %d", n)
				}
				out[i] <- fetched{b, err}
			})
		}
	})
	return out, sync.OnceFunc(func() { cancel(); wg.Wait() })
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
		chans, cancel := fetchRange(ctx, src, from, to, conc)
		// Where the index holds the window, its blocks come at once: the
		// clean balances of the holders they will make are read ahead, in
		// batches, rather than one node call each (decision 0021).
		// Elsewhere blocks are applied as they come.
		var got []fetched
		var heads *headBalances
		if e.readsAhead(ctx, inc, from, to) {
			got = make([]fetched, 0, len(chans))
			blocks := make([]*chains.Block, 0, len(chans))
			for _, ch := range chans {
				f := <-ch
				got = append(got, f)
				if f.err != nil {
					break
				}
				blocks = append(blocks, f.b)
			}
			heads = e.readHeadBalances(ctx, inc, blocks)
		}
		for i, ch := range chans {
			var f fetched
			if i < len(got) {
				f = got[i]
			} else {
				f = <-ch
			}
			if f.err != nil {
				cancel()
				return fmt.Errorf("catch-up of incident %s: fetch %s blocks %d–%d: %w", inc.def.ID, chain, from, to, f.err)
			}
			// Blocks short of the target defer their sync, one synced
			// a second (decision 0019): a crash loses at most a second
			// of the catch-up, whose cursor is written with its blocks.
			bctx := ctx
			if now := time.Now(); f.b.Ref.Number < target && now.Sub(synced) < CatchUpSyncEvery {
				bctx = chains.DeferSync(ctx)
			} else {
				synced = now
			}
			applied, err := e.catchUpBlock(bctx, inc, f.b, heads)
			if err != nil {
				cancel()
				return err
			}
			if !applied {
				break // rewound or another branch: start over from the cursor
			}
		}
		cancel()
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
