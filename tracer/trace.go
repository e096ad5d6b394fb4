package tracer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/mixers/coinjoin"
	"github.com/chainhound/chainhound/watchlists"
)

// DefaultTraceBlocks is how many blocks TraceTx replays unless told.
const DefaultTraceBlocks = 1000

// MaxTraceBlocks bounds TraceRequest.Blocks.
const MaxTraceBlocks = 1_000_000

// ErrTxNotFound: the node serving the chain does not know the transaction
// (or it is not in a block yet).
var ErrTxNotFound = errors.New("transaction not found")

// ErrNodeUnreachable: the chain's node did not answer.
var ErrNodeUnreachable = errors.New("node unreachable")

// TraceRequest asks for the forward flow of one transaction.
type TraceRequest struct {
	Chain  chains.Chain
	Tx     string
	Hops   int               // max hops; 0: 12
	Policy watchlists.Policy // "": haircut
	// Blocks to replay from the transaction's block (0: DefaultTraceBlocks),
	// capped by the node's head.
	Blocks uint64
	// Dust: holdings below it are not followed (nil: none).
	Dust *big.Int
	// Progress, if set, is told each block replayed (its number) and the
	// last block the trace may replay.
	Progress func(at, to uint64)
}

// TraceDeps are what TraceTx reads: the chain's node (Source and Locator
// are required; Balances on Ethereum, Prevouts on Bitcoin) and the labels.
type TraceDeps struct {
	Source   chains.BlockSource
	Locator  chains.TxLocator
	Balances chains.BalanceReader
	Prevouts chains.PrevoutResolver
	Labels   Labels
	// Recognisers follow the trace through mixers and bridges (fresh
	// ones: their state is the throwaway engine's).
	Recognisers []Recogniser
	// CoinJoins tells Bitcoin CoinJoins (Deps.CoinJoins).
	CoinJoins func(tx *chains.Tx, ins []coinjoin.Input, height uint64) (coinjoin.Join, bool)
	Logger    *slog.Logger
}

// traceIncident is the id of TraceTx's throwaway incident.
const traceIncident = "trace"

// collector is the Sink of a throwaway engine.
type collector struct {
	mu sync.Mutex
	fs []Finding
}

func (c *collector) Raise(_ context.Context, fs []Finding) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range fs {
		if f.Incident == traceIncident {
			c.fs = append(c.fs, f)
		}
	}
	return nil
}

func (c *collector) Retract(context.Context, []Finding) error { return nil }

// TraceTx traces a transaction forward: a throwaway in-memory engine (no
// store) opens an incident seeded by the transaction and replays the
// blocks from its block, for req.Blocks blocks or up to the node's head,
// stopping early once no tracked taint is left. It returns the flow graph
// and the findings met. An unknown transaction is ErrTxNotFound.
func TraceTx(ctx context.Context, req TraceRequest, deps TraceDeps) (*FlowGraph, error) {
	if _, err := chains.ParseChain(string(req.Chain)); err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	if deps.Source == nil || deps.Locator == nil {
		return nil, fmt.Errorf("trace: no node for %s", req.Chain)
	}
	tx := strings.ToLower(strings.TrimSpace(req.Tx))
	if tx == "" {
		return nil, fmt.Errorf("trace: empty transaction hash")
	}
	if req.Hops < 0 || req.Hops > watchlists.MaxHopsLimit {
		return nil, fmt.Errorf("trace: hops %d out of range 1..%d", req.Hops, watchlists.MaxHopsLimit)
	}
	if req.Blocks > MaxTraceBlocks {
		return nil, fmt.Errorf("trace: blocks %d above %d", req.Blocks, MaxTraceBlocks)
	}
	if req.Blocks == 0 {
		req.Blocks = DefaultTraceBlocks
	}
	ref, err := deps.Locator.TxBlock(ctx, tx)
	if err != nil {
		if _, herr := deps.Source.HeadNumber(ctx); herr != nil {
			return nil, fmt.Errorf("trace %s tx %s: %w: %w", req.Chain, tx, ErrNodeUnreachable, herr)
		}
		return nil, fmt.Errorf("trace %s tx %s: %w (%v)", req.Chain, tx, ErrTxNotFound, err)
	}
	head, err := deps.Source.HeadNumber(ctx)
	if err != nil {
		return nil, fmt.Errorf("trace %s tx %s: head: %w: %w", req.Chain, tx, ErrNodeUnreachable, err)
	}
	to := ref.Number + req.Blocks - 1
	if to > head {
		to = head
	}
	sink := &collector{}
	e, err := New(Config{MaxHops: req.Hops, Policy: req.Policy, Dust: map[chains.Chain]*big.Int{req.Chain: req.Dust}}, Deps{
		Labels:      deps.Labels,
		Sink:        sink,
		Sources:     map[chains.Chain]chains.BlockSource{req.Chain: deps.Source},
		Locators:    map[chains.Chain]chains.TxLocator{req.Chain: deps.Locator},
		Balances:    deps.Balances,
		Prevouts:    deps.Prevouts,
		Recognisers: deps.Recognisers,
		CoinJoins:   deps.CoinJoins,
		Logger:      deps.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	defer e.Close()
	def := watchlists.Incident{ID: traceIncident, Chain: req.Chain, Policy: req.Policy, Dust: req.Dust, MaxHops: req.Hops, Status: watchlists.Open, Seeds: []watchlists.Seed{{Tx: tx}}}
	if err := e.OpenIncident(ctx, def); err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	e.mu.Lock()
	inc := e.incidents[traceIncident]
	e.mu.Unlock()

	var hops []flowHop
	known := map[string]chains.Asset{}
	last := ref.Number
	// Fetched CatchUpConcurrency at once, at most four times that many
	// ahead of the block being replayed.
	conc := e.cfg.CatchUpConcurrency
	var stop error
	err = chains.FetchRange(ctx, ref.Number, to, chains.FetchLimits{Concurrency: conc, Window: 4 * conc}, fetchFrom(deps.Source),
		func(_ uint64, b *chains.Block) error {
			if b.Ref.Number == ref.Number && b.Ref.Hash != ref.Hash {
				stop = fmt.Errorf("trace %s tx %s: block %d changed under the trace (reorg); retry", req.Chain, tx, ref.Number)
				return stop
			}
			if err := e.Handle(ctx, chains.Event{Type: chains.Connected, Chain: req.Chain, Block: b}); err != nil {
				stop = fmt.Errorf("trace %s tx %s: %w", req.Chain, tx, err)
				return stop
			}
			last = b.Ref.Number
			if req.Progress != nil {
				req.Progress(last, to)
			}
			if e.collectHops(b, inc, &hops, known) == 0 && !e.holdsTaint(inc) {
				return chains.ErrStopFetch // nothing tracked is left to follow
			}
			return nil
		})
	if err != nil && err == stop {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("trace %s tx %s: fetch block: %w", req.Chain, tx, err)
	}
	e.mu.Lock()
	g := e.buildFlow(inc, hops, known)
	e.mu.Unlock()
	g.Tx, g.FromBlock, g.ToBlock = tx, ref.Number, last
	for _, f := range sink.fs {
		g.Findings = append(g.Findings, flowFinding(f))
	}
	return g, nil
}

// collectHops appends the hops b created for inc, with their assets, and
// returns how many.
func (e *Engine) collectHops(b *chains.Block, inc *incident, hops *[]flowHop, known map[string]chains.Asset) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	cs := e.chains[b.Chain]
	if cs == nil {
		return 0
	}
	j := cs.journals[b.Ref.Number]
	if j == nil || j.ref.Hash != b.Ref.Hash {
		return 0
	}
	txs := map[string]*chains.Tx{}
	n := 0
	for _, r := range j.recs {
		if r.kind != recHop || e.a.hopInc(r.h) != inc || e.a.hop(r.h).flags&hopDead != 0 {
			continue
		}
		h := e.a.hop(r.h)
		a := nativeAsset(b.Chain)
		if !cs.utxo {
			if len(txs) == 0 {
				for i := range b.Txs {
					txs[b.Txs[i].Hash] = &b.Txs[i]
				}
			}
			if t := txs[e.a.txs[h.tx]]; t != nil {
				for _, tr := range t.Transfers {
					if tr.Seq == int(h.seq) {
						a = tr.Asset
						break
					}
				}
			}
			if a.Contract != "" {
				known[a.Contract] = a
			}
		}
		*hops = append(*hops, e.a.flowHop(r.h, a))
		n++
	}
	return n
}

// holdsTaint reports whether inc still holds taint the engine follows.
func (e *Engine) holdsTaint(inc *incident) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	cs := e.chains[inc.def.Chain]
	if cs == nil {
		return false
	}
	found := false
	a := e.a
	cs.eachHead(func(_ hkey, head holdID) {
		for h := head; h != 0 && !found; h = cs.next(h) {
			if a.incOf(h) == inc && !a.holding(h).taint.isZero() {
				found = true
			}
		}
	})
	return found
}
