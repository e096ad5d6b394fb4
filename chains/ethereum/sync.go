package ethereum

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chainhound/chainhound/chains"
)

func (f *Follower) tip() chains.BlockRef { return f.window[len(f.window)-1].ref }

// refAt returns the delivered block at number, if still in the window.
func (f *Follower) refAt(number uint64) (chains.BlockRef, bool) {
	if len(f.window) == 0 {
		return chains.BlockRef{}, false
	}
	first := f.window[0].ref.Number
	if number < first || number > f.tip().Number {
		return chains.BlockRef{}, false
	}
	return f.window[number-first].ref, true
}

func (f *Follower) setHead(head uint64) {
	f.head = head
	f.mu.Lock()
	f.status.Head = head
	f.progress.Head = head
	if f.progress.Processed <= head {
		f.progress.Remaining = head - f.progress.Processed
	} else {
		f.progress.Remaining = 0
	}
	f.mu.Unlock()
}

// sync brings the follower level with the node's head: forward in order,
// and back to the common ancestor when the node switched branch.
func (f *Follower) sync(ctx context.Context, n *node, h chains.Handler) error {
	head, err := n.head(ctx)
	if err != nil {
		return err
	}
	f.setHead(head)
	if len(f.window) == 0 {
		start := head
		if !f.cfg.startAtTip {
			start = f.cfg.startBlock
		}
		if start > head {
			f.log.Debug("waiting for start block", "start_block", start, "head", head)
			return nil
		}
		b, err := n.blockByNumber(ctx, start)
		if err != nil {
			return err
		}
		f.confirmed = max(start, 1) - 1
		if err := f.connect(ctx, h, b); err != nil {
			return err
		}
	}
	for {
		tip := f.tip()
		if head <= tip.Number {
			// Does the node's chain still hold our block at its head?
			ref, err := n.header(ctx, head)
			if err != nil {
				return err
			}
			mine, ok := f.refAt(head)
			if !ok || mine.Hash == ref.Hash {
				if head < tip.Number {
					f.log.Debug("node head is below our tip; waiting", "head", head, "tip", tip.Number)
				}
				return f.emitConfirmed(ctx, h)
			}
			if err := f.rewind(ctx, n, h, head); err != nil {
				return err
			}
			continue
		}
		reorg, err := f.forward(ctx, n, h, tip.Number+1, head)
		if err != nil {
			return err
		}
		if !reorg {
			continue // recheck at the head (cheap; catches a same-height switch)
		}
		if err := f.rewind(ctx, n, h, f.tip().Number); err != nil {
			return err
		}
	}
}

// forward delivers blocks from..to in order, fetching up to
// BackfillConcurrency at once and at most 8 times that many ahead of the
// block being delivered (chains.FetchRange). It stops with reorg=true at
// the first block whose parent is not the tip.
func (f *Follower) forward(ctx context.Context, n *node, h chains.Handler, from, to uint64) (reorg bool, err error) {
	conc := f.cfg.BackfillConcurrency
	backfill := to-from+1 > 2
	if backfill {
		f.log.Info("backfill", "from", from, "to", to, "blocks", to-from+1)
	}
	fetch := func(ctx context.Context, num uint64) (*chains.Block, error) {
		b, err := n.blockByNumber(ctx, num)
		if err == nil && b.Ref.Number != num {
			err = fmt.Errorf("asked for block %d, got %d: %w", num, b.Ref.Number, ErrBadResponse)
		}
		return b, err
	}
	lastLog := time.Now()
	err = chains.FetchRange(ctx, from, to, chains.FetchLimits{Concurrency: conc, Window: conc * 8}, fetch,
		func(_ uint64, b *chains.Block) error {
			if b.Ref.Parent != f.tip().Hash {
				f.log.Info("branch switch detected", "block", b.Ref.Number, "parent", b.Ref.Parent, "tip", f.tip().Hash)
				reorg = true
				return chains.ErrStopFetch
			}
			if err := f.connect(ctx, h, b); err != nil {
				return err
			}
			if backfill && time.Since(lastLog) >= 10*time.Second {
				lastLog = time.Now()
				p := f.Progress()
				f.log.Info("backfill progress", "block", b.Ref.Number, "remaining", to-b.Ref.Number, "blocks_per_s", fmt.Sprintf("%.1f", p.BlocksPerSecond), "eta", eta(to-b.Ref.Number, p.BlocksPerSecond))
			}
			return nil
		})
	return reorg, err
}

// rewind disconnects, newest first, every delivered block at or above
// conflict (the node has another block there), then walks back by parent
// hash while the node's canonical block differs from ours, stopping at the
// common ancestor.
func (f *Follower) rewind(ctx context.Context, n *node, h chains.Handler, conflict uint64) error {
	start := f.tip()
	for f.tip().Number >= conflict {
		if err := f.disconnect(ctx, n, h); err != nil {
			return err
		}
	}
	for {
		tip := f.tip()
		ref, err := n.header(ctx, tip.Number)
		if err != nil && !errors.Is(err, errNotFound) {
			return err
		}
		if err == nil && ref.Hash == tip.Hash {
			break
		}
		if start.Number-tip.Number >= MaxReorgDepth {
			return &stopError{fmt.Errorf("ethereum: reorg deeper than %d blocks below %d; refusing to walk further", MaxReorgDepth, start.Number)}
		}
		if err := f.disconnect(ctx, n, h); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.progress.Reorgs++
	f.mu.Unlock()
	f.log.Warn("reorg: switched branch", "old_tip", start.Number, "old_hash", start.Hash, "ancestor", f.tip().Number, "ancestor_hash", f.tip().Hash, "depth", start.Number-f.tip().Number)
	return nil
}

// DeferSyncFor is how long, at most, a backfill's blocks are written
// without waiting for the disk (chains.DeferSync): a crash loses at most
// that much of the catch-up, which is then fetched again.
const DeferSyncFor = time.Second

// connect delivers b as Connected and, once acknowledged, checkpoints it.
// Behind the head, the block's writes and checkpoint defer their sync to
// the next synced block (one a second, and the one at the head).
func (f *Follower) connect(ctx context.Context, h chains.Handler, b *chains.Block) error {
	f.head = max(f.head, b.Ref.Number)
	bctx := ctx
	if now := time.Now(); b.Ref.Number < f.head && now.Sub(f.synced) < DeferSyncFor {
		bctx = chains.DeferSync(ctx)
	} else {
		f.synced = now
	}
	if err := h(bctx, chains.Event{Type: chains.Connected, Chain: chains.Ethereum, Block: b, Ref: b.Ref, Head: f.head}); err != nil {
		return &stopError{fmt.Errorf("ethereum: handler at block %d %s: %w", b.Ref.Number, b.Ref.Hash, err)}
	}
	if err := f.cfg.Checkpoints.SaveCheckpoint(bctx, chains.Ethereum, b.Ref); err != nil {
		return &stopError{fmt.Errorf("ethereum: checkpoint block %d: %w", b.Ref.Number, err)}
	}
	f.window = append(f.window, entry{ref: b.Ref, block: b})
	if len(f.window) > MaxReorgDepth {
		f.window = append(f.window[:0], f.window[len(f.window)-MaxReorgDepth:]...)
	}
	for i := range b.Txs {
		f.seen.add(b.Txs[i].Hash)
	}
	f.rate.tick(time.Now())
	f.mu.Lock()
	f.status.Processed = b.Ref.Number
	f.status.LastBlockTime = b.Ref.Time
	f.progress.Processed = b.Ref.Number
	f.progress.Remaining = 0
	if f.head > b.Ref.Number {
		f.progress.Remaining = f.head - b.Ref.Number
	}
	f.progress.BlocksPerSecond = f.rate.perSecond()
	f.mu.Unlock()
	return f.emitConfirmed(ctx, h)
}

// disconnect delivers the tip as Disconnected and, once acknowledged,
// checkpoints its parent.
func (f *Follower) disconnect(ctx context.Context, n *node, h chains.Handler) error {
	e := f.window[len(f.window)-1]
	if e.ref.Number == 0 {
		return &stopError{fmt.Errorf("ethereum: node disowns genesis %s: wrong chain", e.ref.Hash)}
	}
	b := e.block
	if b == nil {
		var err error
		if b, err = n.blockByHash(ctx, e.ref.Hash); err != nil {
			return fmt.Errorf("fetch orphaned block %d %s to disconnect it: %w", e.ref.Number, e.ref.Hash, err)
		}
	}
	if err := h(ctx, chains.Event{Type: chains.Disconnected, Chain: chains.Ethereum, Block: b, Ref: b.Ref, Head: f.head}); err != nil {
		return &stopError{fmt.Errorf("ethereum: handler disconnecting block %d %s: %w", b.Ref.Number, b.Ref.Hash, err)}
	}
	parent := chains.BlockRef{Number: b.Ref.Number - 1, Hash: b.Ref.Parent}
	if len(f.window) >= 2 {
		parent = f.window[len(f.window)-2].ref
	}
	if err := f.cfg.Checkpoints.SaveCheckpoint(ctx, chains.Ethereum, parent); err != nil {
		return &stopError{fmt.Errorf("ethereum: checkpoint block %d after disconnecting %d: %w", parent.Number, b.Ref.Number, err)}
	}
	f.window = f.window[:len(f.window)-1]
	if len(f.window) == 0 {
		f.window = append(f.window, entry{ref: parent})
	}
	f.confirmed = min(f.confirmed, parent.Number)
	f.mu.Lock()
	f.status.Processed = parent.Number
	f.progress.Processed = parent.Number
	f.progress.Disconnected++
	f.mu.Unlock()
	return nil
}

// emitConfirmed sends Confirmed for each delivered block that has reached
// the configured depth since the last call.
func (f *Follower) emitConfirmed(ctx context.Context, h chains.Handler) error {
	d := f.depth()
	if f.head+1 < d || len(f.window) == 0 {
		return nil
	}
	upto := min(f.head+1-d, f.tip().Number)
	for num := f.confirmed + 1; num <= upto; num++ {
		ref, ok := f.refAt(num)
		if !ok {
			f.confirmed = num
			continue
		}
		if err := h(ctx, chains.Event{Type: chains.Confirmed, Chain: chains.Ethereum, Ref: ref, Head: f.head}); err != nil {
			return &stopError{fmt.Errorf("ethereum: handler confirming block %d: %w", num, err)}
		}
		f.confirmed = num
	}
	return nil
}

// rateMeter measures blocks per second over the last minute or so.
type rateMeter struct {
	since time.Time
	n     int
	last  float64
}

func (r *rateMeter) tick(now time.Time) {
	if r.since.IsZero() {
		r.since = now
	}
	r.n++
	if el := now.Sub(r.since); el >= 5*time.Second {
		r.last = float64(r.n) / el.Seconds()
		r.since, r.n = now, 0
	}
}

func (r *rateMeter) perSecond() float64 { return r.last }

// eta is how long remaining blocks take at rate blocks per second, to the
// second ("unknown" before a rate is known).
func eta(remaining uint64, rate float64) string {
	if !(rate > 0) {
		return "unknown"
	}
	return (time.Duration(float64(remaining)/rate) * time.Second).Round(time.Second).String()
}
