package tracer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/mixers/coinjoin"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/holiman/uint256"
)

// Labels answers who an address belongs to. watchlists.Registry implements
// it. addr is normalised (lowercase 0x-hex on Ethereum).
type Labels interface {
	Lookup(chain chains.Chain, addr string) []watchlists.Entry
}

// KindWatcher is implemented by label sets that know whether they hold
// any entry of a kind on a chain (watchlists.Registry does). With it, the
// engine skips deriving every Bitcoin input's address when no treasury is
// watched; without it, it assumes one may be.
type KindWatcher interface {
	Watches(chain chains.Chain, kind watchlists.Kind) bool
}

// Sink receives findings. The alerts package implements it.
type Sink interface {
	Raise(ctx context.Context, fs []Finding) error
	// Retract withdraws the findings of a block that was undone.
	Retract(ctx context.Context, fs []Finding) error
}

// IncidentRecorder saves incidents the engine opens itself (auto_incident).
type IncidentRecorder interface {
	SaveIncident(ctx context.Context, inc watchlists.Incident) error
}

// KV is one key and value of a Store batch.
type KV struct {
	Key, Value []byte
}

// Store persists the engine's state. Keys and values are opaque to it. A
// batch is written atomically: either all of it or none.
type Store interface {
	// SaveTracer writes puts and deletes in one atomic batch.
	SaveTracer(ctx context.Context, puts []KV, deletes [][]byte) error
	// ScanTracer calls fn for every stored key, in key order. fn must copy
	// what it keeps.
	ScanTracer(ctx context.Context, fn func(key, val []byte) error) error
}

// DrainConfig configures treasury drain detection.
type DrainConfig struct {
	// Window is how far back outflows add up (block time). Zero: 1 hour.
	Window time.Duration
	// MinAmount per chain, in the native asset's smallest unit: outflows of
	// one treasury address summing to at least this within Window drain it.
	// Nil or absent: no amount rule on that chain.
	MinAmount map[chains.Chain]*big.Int
	// MinShare of the treasury's balance at the start of the window (0 <
	// MinShare ≤ 1; 0 disables the rule). Needs Deps.Balances.
	MinShare float64
	// AutoIncident opens an incident from the drain's outflows at once.
	AutoIncident bool
	// Policy of auto incidents ("" = Config.Policy).
	Policy watchlists.Policy
}

// Config configures the engine.
type Config struct {
	// Dust per chain in the smallest unit: new holdings below it are not
	// created. An incident's own Dust overrides it.
	Dust map[chains.Chain]*big.Int
	// MaxHops per incident unless the incident sets its own (default 12).
	MaxHops int
	// Policy for incidents that name none (default haircut).
	Policy watchlists.Policy
	// MinShare drops a new holding below this share of what the incident
	// stole of that asset, except at a service or sanctioned address,
	// where only dust is cut (0: off, the default; docs/taint.md).
	MinShare float64
	// ConfidenceFloor for incidents that set none: a mixer withdrawal (a
	// recogniser's move) of lower confidence is reported but its taint goes
	// no further. Nil: DefaultConfidenceFloor.
	ConfidenceFloor *float64
	// FinalityDepth per chain: journals deeper than this are pruned
	// (default 64 on Ethereum, 12 on Bitcoin).
	FinalityDepth map[chains.Chain]int
	Drain         DrainConfig
	// CatchUpConcurrency bounds the blocks fetched at once by a catch-up
	// replay (default 4).
	CatchUpConcurrency int
	// Index keeps the transfer index (tindex.go).
	Index IndexConfig
}

// DefaultConfidenceFloor is the confidence floor of docs/interface.md.
const DefaultConfidenceFloor = 0.25

// Deps are the engine's collaborators. Only Store-less engines (replay,
// tests) may leave Store nil; Labels nil means nothing is labelled.
type Deps struct {
	Store       Store
	Labels      Labels
	Sink        Sink
	Incidents   IncidentRecorder
	Sources     map[chains.Chain]chains.BlockSource
	Locators    map[chains.Chain]chains.TxLocator
	Balances    chains.BalanceReader
	Prevouts    chains.PrevoutResolver
	Recognisers []Recogniser
	// CoinJoins tells Bitcoin CoinJoin transactions at a height (nil: none
	// are told; the daemon gives coinjoin.Detect for its network). Taint
	// entering one is a taint.coinjoin finding and is spread over its
	// equal outputs (docs/taint.md) under haircut and FIFO.
	CoinJoins func(tx *chains.Tx, ins []coinjoin.Input, height uint64) (coinjoin.Join, bool)
	// Learner keeps the exchange deposit addresses the engine learns from
	// sweeps (nil: none are learned). Needs Balances.
	Learner Learner
	Logger  *slog.Logger
}

// Engine is the taint engine. It is safe for concurrent use: one mutex
// guards the state; Handle for different chains and catch-up replays take
// turns block by block.
type Engine struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	// minSharePPM is cfg.MinShare in millionths, converted once (0: off).
	minSharePPM uint256.Int

	idx *transferIndex // nil: no transfer index

	mu        sync.Mutex
	a         *arena // holdings and hops of every chain
	chains    map[chains.Chain]*chainState
	incidents map[string]*incident
	jseq      uint64 // the last journal's seq (journal.seq)

	bg     context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// ErrUnknownIncident is returned for an incident id the engine does not hold.
var ErrUnknownIncident = errors.New("unknown incident")

// New returns an engine. Call Load before Handle when a Store is set.
func New(cfg Config, deps Deps) (*Engine, error) {
	if cfg.MaxHops == 0 {
		cfg.MaxHops = 12
	}
	if cfg.MaxHops < 0 {
		return nil, fmt.Errorf("tracer config: max_hops %d is negative", cfg.MaxHops)
	}
	if cfg.Policy == "" {
		cfg.Policy = watchlists.Haircut
	}
	if _, err := watchlists.ParsePolicy(string(cfg.Policy)); err != nil {
		return nil, fmt.Errorf("tracer config: %w", err)
	}
	if f := cfg.ConfidenceFloor; f != nil && !(*f >= 0 && *f <= 1) {
		return nil, fmt.Errorf("tracer config: confidence_floor %v not in [0, 1]", *f)
	}
	if !(cfg.MinShare >= 0 && cfg.MinShare < 1) { // NaN too
		return nil, fmt.Errorf("tracer config: min_share %v not in [0, 1)", cfg.MinShare)
	}
	if cfg.CatchUpConcurrency <= 0 {
		cfg.CatchUpConcurrency = 4
	}
	if len(deps.Recognisers) > maxMovesPerTx {
		return nil, fmt.Errorf("tracer: %d recognisers, at most %d", len(deps.Recognisers), maxMovesPerTx)
	}
	if cfg.Drain.Window == 0 {
		cfg.Drain.Window = time.Hour
	}
	if cfg.Drain.MinShare < 0 || cfg.Drain.MinShare > 1 {
		return nil, fmt.Errorf("tracer config: drain min_share %v not in [0,1]", cfg.Drain.MinShare)
	}
	for c, d := range cfg.Dust {
		if d != nil && d.Sign() < 0 {
			return nil, fmt.Errorf("tracer config: dust for %s is negative", c)
		}
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	bg, cancel := context.WithCancel(context.Background())
	e := &Engine{
		cfg:       cfg,
		deps:      deps,
		log:       log.With("component", "tracer"),
		a:         newArena(),
		chains:    map[chains.Chain]*chainState{},
		incidents: map[string]*incident{},
		bg:        bg,
		cancel:    cancel,
	}
	if cfg.MinShare > 0 {
		e.minSharePPM.SetUint64(uint64(cfg.MinShare * 1e6))
	}
	if cfg.Index.Enabled {
		st, ok := deps.Store.(IndexStore)
		if !ok {
			cancel()
			return nil, fmt.Errorf("tracer config: the transfer index needs a store that reads by key and range (%T does not)", deps.Store)
		}
		if cfg.Index.Retain < 0 {
			cancel()
			return nil, fmt.Errorf("tracer config: index retain %v is negative", cfg.Index.Retain)
		}
		e.idx = &transferIndex{cfg: cfg.Index, st: st, meta: map[chains.Chain]*indexMeta{}}
	}
	return e, nil
}

// Close stops catch-up replays and waits for them.
func (e *Engine) Close() error {
	e.cancel()
	e.wg.Wait()
	return nil
}

func (e *Engine) finalityDepth(c chains.Chain) int {
	if d, ok := e.cfg.FinalityDepth[c]; ok && d > 0 {
		return d
	}
	if c == chains.Bitcoin {
		return 12
	}
	return 64
}

func (e *Engine) chainState(c chains.Chain) *chainState {
	cs := e.chains[c]
	if cs == nil {
		cs = newChainState(c, e.a)
		e.chains[c] = cs
	}
	return cs
}

// LastBlock returns the last block the engine applied on chain.
func (e *Engine) LastBlock(c chains.Chain) (chains.BlockRef, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	cs := e.chains[c]
	if cs == nil || !cs.hasLast {
		return chains.BlockRef{}, false
	}
	return cs.last, true
}

// Handle processes one follower event. Connected applies a block (a block
// already applied is skipped), Disconnected undoes the newest block and
// retracts its findings, Confirmed changes nothing (journals live to the
// finality depth), Pending raises the findings a mempool transaction would
// make without changing state.
func (e *Engine) Handle(ctx context.Context, ev chains.Event) error {
	switch ev.Type {
	case chains.Connected:
		if ev.Block == nil {
			return fmt.Errorf("connected event on %s without block", ev.Chain)
		}
		return e.connect(ctx, ev.Block)
	case chains.Disconnected:
		if ev.Block == nil {
			return fmt.Errorf("disconnected event on %s without block", ev.Chain)
		}
		return e.disconnect(ctx, ev.Block.Chain, ev.Block.Ref)
	case chains.Confirmed:
		return e.confirmed(ctx, ev.Chain, ev.Ref)
	case chains.Pending:
		if ev.Tx == nil {
			return nil
		}
		return e.pending(ctx, ev.Chain, ev.Tx)
	}
	return fmt.Errorf("unknown event type %v", ev.Type)
}

// Source returns c's block source: the transfer index where it holds the
// block, else node (nil: the engine's own source of c).
func (e *Engine) Source(c chains.Chain, node chains.BlockSource) chains.BlockSource {
	if node == nil {
		node = e.deps.Sources[c]
	}
	if e.idx == nil {
		return node
	}
	return &indexedSource{x: e.idx, chain: c, node: node}
}

// BalanceReader returns c's balances: the balance at an old block comes
// from node's balance at the newest indexed block minus the flows the
// transfer index holds after it, where the index covers that range (node
// nil: the engine's own balance reader).
func (e *Engine) BalanceReader(c chains.Chain, node chains.BalanceReader) chains.BalanceReader {
	if node == nil {
		node = e.deps.Balances
	}
	if e.idx == nil || node == nil || c == chains.Bitcoin {
		return node
	}
	return &indexedBalances{x: e.idx, chain: c, node: node}
}

func (e *Engine) labels(c chains.Chain, addr string) []watchlists.Entry {
	if e.deps.Labels == nil || addr == "" {
		return nil
	}
	return e.deps.Labels.Lookup(c, addr)
}
