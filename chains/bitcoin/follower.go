package bitcoin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/chainhound/chainhound/chains"
)

// MaxReorgDepth is how many blocks the follower keeps to recognise and
// undo a branch switch (lnd's ReorgSafetyLimit). A deeper one stops Run
// with an error instead of guessing.
const MaxReorgDepth = 144

var (
	_ chains.Follower        = (*Follower)(nil)
	_ chains.BlockSource     = (*Follower)(nil)
	_ chains.PrevoutResolver = (*Follower)(nil)
	_ chains.TxLocator       = (*Follower)(nil)
)

// Follower follows one bitcoind or btcd node. Run owns the follow state;
// Status, BlockByNumber, HeadNumber, Prevouts and TxBlock may be called
// from other goroutines at any time.
type Follower struct {
	cfg    *parsed
	node   *node
	params *chaincfg.Params
	log    *slog.Logger
	txs    *txCache

	mu     sync.Mutex
	status chains.Status

	// Owned by Run.
	tip         *chains.BlockRef  // last acknowledged block
	window      []chains.BlockRef // acknowledged blocks, oldest first, at most MaxReorgDepth
	confirmNext uint64            // lowest height Confirmed may still be emitted for
	head        uint64            // the node's head height, as last seen
	pending     map[string]struct{}
	retryBase   time.Duration
	synced      time.Time // the last block delivered without chains.DeferSync
}

// New validates cfg and prepares a follower; it does not contact the node
// (Run does, and checks the network and the transaction index first).
func New(cfg Config) (*Follower, error) {
	p, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	n, err := dialNode(p, p.BackfillConcurrency+2)
	if err != nil {
		return nil, err
	}
	return &Follower{
		cfg:       p,
		node:      n,
		params:    p.net.Params,
		log:       p.Logger,
		txs:       newTxCache(p.PrevoutCacheSize),
		status:    chains.Status{Network: p.net.Name},
		pending:   map[string]struct{}{},
		retryBase: 500 * time.Millisecond,
	}, nil
}

// Close releases the RPC clients. Call it after Run has returned.
func (f *Follower) Close() { f.node.close() }

// Chain is chains.Bitcoin.
func (f *Follower) Chain() chains.Chain { return chains.Bitcoin }

// Status reports the node's head and the last acknowledged block.
func (f *Follower) Status() chains.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *Follower) setStatus(update func(*chains.Status)) {
	f.mu.Lock()
	update(&f.status)
	f.mu.Unlock()
}

// Params are the chain parameters of the configured network.
func (f *Follower) Params() *chaincfg.Params { return f.params }

// Run follows the node until ctx is done (it then returns ctx.Err()) or
// the handler returns an error (returned wrapped). Failures to reach the
// node are logged and retried with backoff; a node on another network,
// without a transaction index, or that keeps answering nonsense stops Run
// with an error that says so.
func (f *Follower) Run(ctx context.Context, h chains.Handler) error {
	if chains.Reader(f.cfg.Checkpoints) {
		return fmt.Errorf("bitcoin: %w", chains.ErrNoCheckpoints)
	}
	if err := f.retry(ctx, "check node", f.checkNode); err != nil {
		return err
	}
	if err := f.retry(ctx, "resume from checkpoint", func(ctx context.Context) error { return f.resume(ctx, h) }); err != nil {
		return err
	}
	for {
		var again bool
		err := f.retry(ctx, "follow", func(ctx context.Context) error {
			var err error
			again, err = f.step(ctx, h)
			return err
		})
		if err != nil {
			return err
		}
		if again {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(f.cfg.PollInterval):
		}
	}
}

// handlerError carries the handler's refusal out of Run unchanged.
type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }
func (e *handlerError) Unwrap() error { return e.err }

// fatalError stops Run without retry.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

func fatalf(format string, args ...any) error { return &fatalError{fmt.Errorf(format, args...)} }

// retry runs fn until it succeeds. Transport failures are retried forever
// with exponential backoff (chains.Backoff from retryBase, capped at 30s)
// and logged; other failures (an RPC error, a malformed answer) three
// times in a row, then returned; handler and fatal errors at once.
func (f *Follower) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	backoff := chains.Backoff{Min: f.retryBase, Max: 30 * time.Second}
	failures := 0
	for {
		err := fn(ctx)
		if err == nil {
			f.setStatus(func(s *chains.Status) { s.Connected = true })
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var he *handlerError
		if errors.As(err, &he) {
			return fmt.Errorf("bitcoin: handler: %w", he.err)
		}
		var fe *fatalError
		if errors.As(err, &fe) || errors.Is(err, errAuth) {
			return fmt.Errorf("bitcoin: %s: %w", what, err)
		}
		wait := backoff.Next()
		if isTransport(err) {
			f.setStatus(func(s *chains.Status) { s.Connected = false })
			f.log.Warn("bitcoin node unreachable; retrying", "rpc", f.cfg.host, "step", what, "err", err, "retry_in", wait)
		} else {
			failures++
			if failures >= 3 {
				return fmt.Errorf("bitcoin: %s: %w", what, err)
			}
			f.log.Warn("bitcoin node answer rejected; retrying", "rpc", f.cfg.host, "step", what, "err", err, "attempt", failures, "retry_in", wait)
		}
		if !chains.Sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

// emit delivers one event to h with Chain and Head set.
func (f *Follower) emit(ctx context.Context, h chains.Handler, ev chains.Event) error {
	ev.Chain = chains.Bitcoin
	ev.Head = f.head
	if err := h(ctx, ev); err != nil {
		return &handlerError{fmt.Errorf("%s %s: %w", ev.Type, ev.Ref, err)}
	}
	return nil
}

// step catches up with the node once: it unwinds an orphaned tip, fetches
// and delivers the missing blocks, emits confirmations and, when enabled,
// new mempool transactions. again is true when it should run again
// without waiting (a branch switch interrupted the catch-up).
func (f *Follower) step(ctx context.Context, h chains.Handler) (again bool, err error) {
	best, err := f.node.bestBlockHash(ctx)
	if err != nil {
		return false, err
	}
	hd, err := f.node.header(ctx, best)
	if err != nil {
		return false, err
	}
	f.head = uint64(hd.Height)
	f.setStatus(func(s *chains.Status) { s.Head = f.head })
	var from uint64
	switch {
	case f.tip != nil && f.tip.Hash == best.String():
		from = f.tip.Number + 1
	case f.tip != nil:
		if err := f.unwind(ctx, h); err != nil {
			return false, err
		}
		from = f.tip.Number + 1
	case f.cfg.startAtTip:
		from = f.head
	default:
		from = f.cfg.startBlock
	}
	if from <= f.head {
		switched, err := f.backfill(ctx, h, from, f.head)
		if err != nil || switched {
			return switched, err
		}
	}
	if err := f.confirm(ctx, h); err != nil {
		return false, err
	}
	if f.cfg.Mempool {
		return false, f.pollMempool(ctx, h)
	}
	return false, nil
}

// fetchBlock fetches and decodes the canonical block at height.
func (f *Follower) fetchBlock(ctx context.Context, height uint64) (*chains.Block, error) {
	hash, err := f.node.blockHash(ctx, height)
	if err != nil {
		return nil, err
	}
	return f.fetchBlockByHash(ctx, height, hash)
}

func (f *Follower) fetchBlockByHash(ctx context.Context, height uint64, hash chainhash.Hash) (*chains.Block, error) {
	raw, err := f.node.rawBlock(ctx, hash)
	if err != nil {
		return nil, err
	}
	b, err := DecodeBlock(raw, height, &hash, f.params)
	if err != nil {
		return nil, fmt.Errorf("getblock %s: %w: %v", hash, errBadAnswer, err)
	}
	return b, nil
}

// DeferSyncFor is how long, at most, a backfill's blocks are written
// without waiting for the disk (chains.DeferSync, decision 0019): a crash
// loses at most that much of the catch-up, which is then fetched again.
const DeferSyncFor = time.Second

// connect delivers b as Connected and, once acknowledged, checkpoints it.
// Behind the head, the block's writes and checkpoint defer their sync to
// the next synced block (one a second, and the one at the head);
// confirmations are written synced.
func (f *Follower) connect(ctx context.Context, h chains.Handler, b *chains.Block) error {
	bctx := ctx
	if now := time.Now(); b.Ref.Number < f.head && now.Sub(f.synced) < DeferSyncFor {
		bctx = chains.DeferSync(ctx)
	} else {
		f.synced = now
	}
	if err := f.emit(bctx, h, chains.Event{Type: chains.Connected, Block: b, Ref: b.Ref}); err != nil {
		return err
	}
	if err := f.cfg.Checkpoints.SaveCheckpoint(bctx, chains.Bitcoin, b.Ref); err != nil {
		return fatalf("save checkpoint %s: %w", b.Ref, err)
	}
	ref := b.Ref
	f.tip = &ref
	f.window = append(f.window, ref)
	if len(f.window) > MaxReorgDepth {
		f.window = append(f.window[:0], f.window[len(f.window)-MaxReorgDepth:]...)
	}
	for _, tx := range b.Txs {
		delete(f.pending, tx.Hash)
	}
	f.setStatus(func(s *chains.Status) {
		s.Processed = ref.Number
		s.LastBlockTime = ref.Time
	})
	return f.confirm(ctx, h)
}

// confirm emits Confirmed for every acknowledged block that reached the
// configured depth (depth = head - height + 1; 0 confirms on inclusion).
func (f *Follower) confirm(ctx context.Context, h chains.Handler) error {
	if f.tip == nil {
		return nil
	}
	depth := max(f.cfg.Confirmations, 1)
	if f.head+1 < depth {
		return nil
	}
	upTo := min(f.head+1-depth, f.tip.Number)
	for _, ref := range f.window {
		if ref.Number < f.confirmNext || ref.Number > upTo {
			continue
		}
		if err := f.emit(ctx, h, chains.Event{Type: chains.Confirmed, Ref: ref}); err != nil {
			return err
		}
		f.confirmNext = ref.Number + 1
	}
	return nil
}

// backfill fetches blocks from..to with bounded concurrency and delivers
// them strictly in order (chains.FetchRange: BackfillConcurrency fetched
// beyond the block awaited, so one more than that in flight; the node
// has two connections more). It stops early (switched = true) when a
// block does not extend the acknowledged tip: the node switched branch.
func (f *Follower) backfill(ctx context.Context, h chains.Handler, from, to uint64) (switched bool, err error) {
	conc := f.cfg.BackfillConcurrency
	total := to - from + 1
	start, lastLog := time.Now(), time.Now()
	var done uint64
	err = chains.FetchRange(ctx, from, to, chains.FetchLimits{Concurrency: conc + 1, Window: conc}, f.fetchBlock,
		func(_ uint64, b *chains.Block) error {
			if f.tip != nil && b.Ref.Parent != f.tip.Hash {
				f.log.Info("bitcoin node switched branch during catch-up", "block", b.Ref.Number,
					"parent", b.Ref.Parent, "tip", f.tip.Hash)
				switched = true
				return chains.ErrStopFetch
			}
			if err := f.connect(ctx, h, b); err != nil {
				return err
			}
			done++
			if total > 1 && (time.Since(lastLog) >= 10*time.Second || done == total && total >= 100) {
				rate := float64(done) / time.Since(start).Seconds()
				eta := "unknown"
				if rate > 0 {
					eta = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
				}
				f.log.Info("bitcoin backfill", "block", b.Ref.Number, "done", done,
					"remaining", total-done, "blocks_per_s", fmt.Sprintf("%.1f", rate), "eta", eta)
				lastLog = time.Now()
			}
			return nil
		})
	return switched, err
}

// unwind disconnects acknowledged blocks, newest first, until the tip is
// on the node's main chain again; each step is checkpointed after the
// handler acknowledged it.
func (f *Follower) unwind(ctx context.Context, h chains.Handler) error {
	for depth := 0; ; depth++ {
		onMain, err := f.onMainChain(ctx, *f.tip)
		if err != nil || onMain {
			return err
		}
		if depth >= MaxReorgDepth {
			return fatalf("branch switch deeper than %d blocks below %s: refusing to guess", MaxReorgDepth, f.tip)
		}
		if f.tip.Number == 0 {
			return fatalf("the node's genesis block is not %s: wrong network or data directory", f.tip.Hash)
		}
		hash, err := chainhash.NewHashFromStr(f.tip.Hash)
		if err != nil {
			return fatalf("checkpoint hash %q: %w", f.tip.Hash, err)
		}
		b, err := f.fetchBlockByHash(ctx, f.tip.Number, *hash)
		if code, ok := rpcCode(err); ok && code == -5 {
			return fatalf("block %s is unknown to the node at %s: wrong node, network or data directory?", f.tip, f.cfg.host)
		}
		if err != nil {
			return fmt.Errorf("fetch orphaned block %s: %w", f.tip, err)
		}
		if err := f.emit(ctx, h, chains.Event{Type: chains.Disconnected, Block: b, Ref: b.Ref}); err != nil {
			return err
		}
		parent, err := f.parentRef(ctx, b.Ref)
		if err != nil {
			return err
		}
		if err := f.cfg.Checkpoints.SaveCheckpoint(ctx, chains.Bitcoin, parent); err != nil {
			return fatalf("save checkpoint %s: %w", parent, err)
		}
		f.log.Info("bitcoin block disconnected", "block", b.Ref.Number, "hash", b.Ref.Hash)
		if n := len(f.window); n > 0 && f.window[n-1].Hash == b.Ref.Hash {
			f.window = f.window[:n-1]
		}
		if n := len(f.window); n == 0 || f.window[n-1].Hash != parent.Hash {
			f.window = append(f.window[:0:0], parent)
		}
		f.tip = &parent
		f.confirmNext = min(f.confirmNext, parent.Number+1)
		f.setStatus(func(s *chains.Status) { s.Processed = parent.Number; s.LastBlockTime = parent.Time })
	}
}

// onMainChain reports whether ref is the node's block at its height.
func (f *Follower) onMainChain(ctx context.Context, ref chains.BlockRef) (bool, error) {
	if ref.Number > f.head {
		return false, nil
	}
	hash, err := f.node.blockHash(ctx, ref.Number)
	if code, ok := rpcCode(err); ok && code == -8 { // height out of range: the chain got shorter
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return hash.String() == ref.Hash, nil
}

// parentRef is the reference of b's parent, from the window when known,
// else from its header (which may be off the main chain too).
func (f *Follower) parentRef(ctx context.Context, b chains.BlockRef) (chains.BlockRef, error) {
	if n := len(f.window); n >= 2 && f.window[n-1].Hash == b.Hash && f.window[n-2].Hash == b.Parent {
		return f.window[n-2], nil
	}
	hash, err := chainhash.NewHashFromStr(b.Parent)
	if err != nil {
		return chains.BlockRef{}, fmt.Errorf("parent of %s: %w", b, err)
	}
	hd, err := f.node.rawHeader(ctx, *hash)
	if err != nil {
		return chains.BlockRef{}, err
	}
	return chains.BlockRef{Number: b.Number - 1, Hash: b.Parent, Parent: hd.PrevBlock.String(), Time: hd.Timestamp.UTC()}, nil
}
