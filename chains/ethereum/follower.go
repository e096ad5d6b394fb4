package ethereum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/ethereum/go-ethereum/rpc"
)

// MaxReorgDepth is how many recent blocks the follower keeps to recognise
// a reorg and to emit Disconnected with the exact block it connected: the
// deepest reorg it undoes block by block. A consumer that keeps undo
// state (the tracer's journals) keeps it this deep.
const MaxReorgDepth = 256

// maxBadAnswers is how many malformed answers in a row Run tolerates
// before it returns the error (network errors are retried forever).
const maxBadAnswers = 3

// ErrWrongChain is returned when the node serves another chain than the
// configured network.
var ErrWrongChain = errors.New("node serves another chain than the configured network")

var (
	_ chains.Follower      = (*Follower)(nil)
	_ chains.BlockSource   = (*Follower)(nil)
	_ chains.BalanceReader = (*Follower)(nil)
	_ chains.TxLocator     = (*Follower)(nil)
)

// Follower follows one Ethereum node. Build it with New, run it with Run.
type Follower struct {
	cfg *parsed
	log *slog.Logger

	connMu sync.Mutex
	conn   *node

	running atomic.Bool

	// Owned by Run's goroutine.
	window    []entry // oldest first; the last is the tip
	confirmed uint64  // highest block number Confirmed was emitted for
	seen      *seenSet
	head      uint64
	rate      rateMeter
	synced    time.Time // the last block delivered without chains.DeferSync

	mu       sync.Mutex
	status   chains.Status
	progress Progress
}

// entry is a delivered block; block is nil for the checkpoint a restart
// resumes from (fetched by hash if it must be disconnected).
type entry struct {
	ref   chains.BlockRef
	block *chains.Block
}

// Progress is the follower's catch-up progress, for logs and metrics.
type Progress struct {
	Head            uint64  // the node's head
	Processed       uint64  // last acknowledged block
	Remaining       uint64  // Head - Processed
	BlocksPerSecond float64 // recent delivery rate (display only)
	Reorgs          uint64  // branch switches handled
	Disconnected    uint64  // blocks disconnected in all
}

// New validates cfg and returns a Follower. It does not contact the node.
func New(cfg Config) (*Follower, error) {
	p, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	return &Follower{
		cfg:    p,
		log:    p.Logger,
		seen:   newSeenSet(1 << 16),
		status: chains.Status{Network: cfg.Network},
	}, nil
}

// Chain returns chains.Ethereum.
func (f *Follower) Chain() chains.Chain { return chains.Ethereum }

// Status reports the follower's progress.
func (f *Follower) Status() chains.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

// Progress reports catch-up progress (blocks/s, remaining) and reorg
// counters.
func (f *Follower) Progress() Progress {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.progress
}

// node returns the connection, dialling it and checking the chain id the
// first time.
func (f *Follower) node(ctx context.Context) (*node, error) {
	f.connMu.Lock()
	defer f.connMu.Unlock()
	if f.conn != nil {
		return f.conn, nil
	}
	c, err := rpc.DialContext(ctx, f.cfg.RPC)
	if err != nil {
		return nil, fmt.Errorf("ethereum: dial %s: %w", f.cfg.RPC, err)
	}
	n := &node{rpc: c, dec: newDecoder(f.cfg.Network == "mainnet", f.cfg.KeepLogs)}
	id, err := n.chainID(ctx)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("ethereum: %s: %w", f.cfg.RPC, err)
	}
	if id.Cmp(f.cfg.chainID) != 0 {
		c.Close()
		return nil, fmt.Errorf("ethereum: node %s has chain id %s, but network %q is chain id %s: %w", f.cfg.RPC, id, f.cfg.Network, f.cfg.chainID, ErrWrongChain)
	}
	switch f.cfg.Traces {
	case TracesOn, TracesAuto:
		ok, err := n.probeTraces(ctx)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("ethereum: %w", err)
		}
		if !ok && f.cfg.Traces == TracesOn {
			c.Close()
			return nil, fmt.Errorf("ethereum: traces: on, but node %s does not answer debug_traceBlockByNumber with the callTracer", f.cfg.RPC)
		}
		n.traces.Store(ok)
		if f.cfg.Traces == TracesAuto {
			if ok {
				f.log.Info("traces: auto chose on: the node answers debug_traceBlockByNumber; internal transfers included")
			} else {
				f.log.Warn("traces: auto chose off: the node has no debug API; internal transfers (value moved by contracts) are not seen")
			}
		}
	}
	f.conn = n
	return n, nil
}

// Close releases the node connection.
func (f *Follower) Close() {
	f.connMu.Lock()
	defer f.connMu.Unlock()
	if f.conn != nil {
		f.conn.rpc.Close()
		f.conn = nil
	}
}

// stopError carries an error that ends Run: the handler's or the store's.
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }
func (e *stopError) Unwrap() error { return e.err }

// badData reports whether err is a malformed answer rather than a
// network failure or a node that lags.
func badData(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	return errors.Is(err, ErrBadResponse) || errors.As(err, &se) || errors.As(err, &te)
}

// Run follows the node until ctx is done (returning ctx.Err()), the
// handler or the checkpoint store fails, the node serves another chain,
// or it keeps answering garbage. Network failures are retried with
// backoff; after a reconnect the gap is filled before following the head.
func (f *Follower) Run(ctx context.Context, h chains.Handler) error {
	if chains.Reader(f.cfg.Checkpoints) {
		return fmt.Errorf("ethereum: %w", chains.ErrNoCheckpoints)
	}
	if !f.running.CompareAndSwap(false, true) {
		return errors.New("ethereum: Run called twice")
	}
	defer f.running.Store(false)

	var n *node
	for backoff := newBackoff(); ; {
		var err error
		if n, err = f.node(ctx); err == nil {
			break
		}
		if errors.Is(err, ErrWrongChain) || ctx.Err() != nil || !isTransient(err) {
			return err
		}
		wait := backoff.Next()
		f.log.Warn("node unreachable; retrying", "rpc", f.cfg.RPC, "err", err, "in", wait)
		if !chains.Sleep(ctx, wait) {
			return ctx.Err()
		}
	}
	if err := f.restore(ctx, n); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wake := make(chan struct{}, 1)
	wg.Add(1)
	go func() { defer wg.Done(); f.watchHeads(ctx, n, wake) }()
	pending := make(chan json.RawMessage, 1024)
	if f.cfg.Mempool {
		wg.Add(1)
		go func() { defer wg.Done(); f.watchPending(ctx, n, pending) }()
	}

	backoff := newBackoff()
	bad := 0
	retry := time.NewTimer(0)
	defer retry.Stop()
	for {
		err := f.sync(ctx, n, h)
		var stop *stopError
		switch {
		case err == nil:
			backoff.Reset()
			bad = 0
			f.setConnected(true)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &stop):
			return stop.err
		default:
			if badData(err) {
				if bad++; bad >= maxBadAnswers {
					return fmt.Errorf("ethereum: node %s answered badly %d times in a row: %w", f.cfg.RPC, bad, err)
				}
			}
			if errors.Is(err, errNotFound) {
				f.log.Warn("node lags: it announced a block it cannot serve yet", "err", err)
			} else {
				f.setConnected(false)
			}
			wait := backoff.Next()
			f.log.Warn("sync failed; retrying", "err", err, "in", wait)
			retry.Reset(wait)
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-wake:
				if err == nil {
					break wait
				}
			case <-retry.C:
				if err != nil {
					break wait
				}
			case raw := <-pending:
				if perr := f.pending(ctx, n, h, raw); perr != nil {
					var stop *stopError
					if errors.As(perr, &stop) {
						return stop.err
					}
					f.log.Debug("pending transaction skipped", "err", perr)
				}
			}
		}
	}
}

// isTransient: worth retrying (network trouble), as opposed to bad
// configuration.
func isTransient(err error) bool {
	var re rpc.Error
	return !errors.As(err, &re) && !badData(err)
}

// newBackoff is the wait between retries of a failing node: 250ms,
// doubling up to 30s.
func newBackoff() *chains.Backoff {
	return &chains.Backoff{Min: 250 * time.Millisecond, Max: 30 * time.Second}
}

func (f *Follower) setConnected(ok bool) {
	f.mu.Lock()
	f.status.Connected = ok
	f.mu.Unlock()
}

// restore loads the checkpoint into the window, with the blocks below it
// that Confirmed may still have to name (their refs, read by parent hash).
func (f *Follower) restore(ctx context.Context, n *node) error {
	f.window = f.window[:0]
	ref, ok, err := f.cfg.Checkpoints.Checkpoint(ctx, chains.Ethereum)
	if err != nil {
		return fmt.Errorf("ethereum: read checkpoint: %w", err)
	}
	if !ok {
		return nil
	}
	// A checkpoint the node has never seen (another network's, a wiped or
	// another node's) cannot be unwound: stop, naming it, as the Bitcoin
	// follower does, rather than retry the fetch of its block forever. A
	// node whose head is still below it is lagging: sync waits for it.
	if _, err := n.headerByHash(ctx, ref.Hash); errors.Is(err, errNotFound) {
		if head, herr := n.head(ctx); herr == nil && head >= ref.Number {
			return fmt.Errorf("ethereum: checkpoint block %s is unknown to the node at %s (head %d): wrong node, network or data directory?", ref, f.cfg.RPC, head)
		}
	}
	f.window = append(f.window, entry{ref: ref})
	f.confirmed = 0
	if d := f.depth(); ref.Number >= d {
		f.confirmed = ref.Number - d // re-confirm what may not have been
		// Those blocks must be in the window, or emitConfirmed skips them:
		// read their refs by parent hash (best effort; a block it cannot
		// read is not re-confirmed, as before).
		for len(f.window) < int(d) && f.window[0].ref.Number > 0 && f.window[0].ref.Parent != "" {
			below := f.window[0].ref
			pref, err := n.headerByHash(ctx, below.Parent)
			if err == nil && pref.Number+1 != below.Number {
				err = fmt.Errorf("block %s has number %d, want %d", below.Parent, pref.Number, below.Number-1)
			}
			if err != nil {
				f.log.Warn("cannot read the blocks below the checkpoint; they will not be confirmed again", "block", below.Number-1, "err", err)
				break
			}
			f.window = append([]entry{{ref: pref}}, f.window...)
		}
	}
	f.mu.Lock()
	f.status.Processed = ref.Number
	f.progress.Processed = ref.Number
	f.mu.Unlock()
	f.log.Info("resuming from checkpoint", "block", ref.Number, "hash", ref.Hash)
	return nil
}

// depth is the confirmation depth in blocks (a block is at depth 1 when
// it is the head).
func (f *Follower) depth() uint64 { return max(f.cfg.Confirmations, 1) }
