package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/bridges/evmbridges"
	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
	"github.com/chainhound/chainhound/tracer/mixers/coinjoin"
	"github.com/chainhound/chainhound/tracer/mixers/tornado"
	"github.com/chainhound/chainhound/watchlists"
)

// MaxConcurrentTraces bounds the /v1/trace requests replaying blocks at
// once (each reads up to tracer.DefaultTraceBlocks blocks from the node).
const MaxConcurrentTraces = 2

// traceAPI serves /v1/trace with tracer.TraceTx over the daemon's
// followers (as block sources, locators, balance and prevout readers) and
// its watchlists (labels).
type traceAPI struct {
	d   *Daemon
	sem chan struct{}
}

func newTraceAPI(d *Daemon) *traceAPI {
	return &traceAPI{d: d, sem: make(chan struct{}, MaxConcurrentTraces)}
}

// Trace implements api.Tracer.
func (t *traceAPI) Trace(ctx context.Context, req api.TraceRequest) (*tracer.FlowGraph, error) {
	deps := tracer.TraceDeps{Labels: publicLabels{t.d.Registry}, Logger: t.d.log}
	switch req.Chain {
	case chains.Ethereum:
		if t.d.eth == nil {
			return nil, api.Errorf(api.CodeNotImplemented, "chain", "this server follows no ethereum node")
		}
		// Blocks and clean balances from the transfer index where it
		// holds them, from the node for the rest.
		deps.Source, deps.Locator, deps.Balances = t.d.Engine().Source(chains.Ethereum, t.d.eth), t.d.eth, t.d.Engine().BalanceReader(chains.Ethereum, t.d.eth)
		deps.Recognisers = []tracer.Recogniser{tornado.New(deps.Labels, t.d.eth, t.d.log), thorchain.New(deps.Labels, t.d.log), evmbridges.New(deps.Labels, t.d.log)}
	case chains.Bitcoin:
		if t.d.btc == nil {
			return nil, api.Errorf(api.CodeNotImplemented, "chain", "this server follows no bitcoin node")
		}
		deps.Source, deps.Locator, deps.Prevouts = t.d.Engine().Source(chains.Bitcoin, t.d.btc), t.d.btc, t.d.btc
		mainnet := t.d.cfg.Chains.Bitcoin.Network == "mainnet"
		deps.CoinJoins = func(tx *chains.Tx, ins []coinjoin.Input, h uint64) (coinjoin.Join, bool) {
			return coinjoin.Detect(tx, ins, h, mainnet)
		}
	default:
		return nil, api.Errorf(api.CodeInvalidChain, "chain", "unknown chain %q", req.Chain)
	}
	select {
	case t.sem <- struct{}{}:
		defer func() { <-t.sem }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	g, err := tracer.TraceTx(ctx, tracer.TraceRequest{
		Chain:  req.Chain,
		Tx:     req.Tx,
		Hops:   req.Hops,
		Policy: req.Policy,
		Blocks: req.Blocks,
		Dust:   t.d.cfg.Tracer.DustAmounts[string(req.Chain)],
	}, deps)
	var sue *chains.StateUnavailableError
	switch {
	case errors.As(err, &sue):
		return nil, api.Errorf(api.CodeNodeLimit, "tx", "the %s node keeps no state for block %d, which tracing %s needs: it prunes old state (geth keeps the state of about the last 128 blocks unless run with --gcmode archive) and the daemon's transfer index does not hold it (it keeps what the daemon followed, for index.retain); trace it against an archive node (node said: %s)", req.Chain, sue.Block, req.Tx, sue.NodeMessage)
	case errors.Is(err, tracer.ErrTxNotFound):
		return nil, api.Errorf(api.CodeNotFound, "tx", "%s transaction %s is not in a block the node knows", req.Chain, req.Tx)
	case errors.Is(err, tracer.ErrNodeUnreachable):
		return nil, api.Errorf(api.CodeUnavailable, "", "the %s node does not answer", req.Chain)
	case err != nil:
		return nil, fmt.Errorf("trace %s tx %s: %w", req.Chain, req.Tx, err)
	}
	return g, nil
}

// publicLabels is what a trace served over the API may show of the
// watchlists: the shipped labels, and tenants' service entries (exchange,
// mixer, bridge, sanctioned), which alerts name anyway. Tenants' treasury,
// stolen and custom entries reveal their wallets (investigators may not
// list the watchlists): they neither label nodes nor change the trace.
// Notes are dropped.
type publicLabels struct{ reg *watchlists.Registry }

func (p publicLabels) Lookup(c chains.Chain, addr string) []watchlists.Entry {
	es := p.reg.Lookup(c, addr)
	var out []watchlists.Entry
	for _, e := range es {
		switch {
		case e.Shipped(), e.Kind == watchlists.Exchange, e.Kind == watchlists.Mixer, e.Kind == watchlists.Bridge, e.Kind == watchlists.Sanctioned:
			e.Note = ""
			out = append(out, e)
		}
	}
	return out
}
