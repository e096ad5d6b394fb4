package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// MaxConcurrentTraces bounds the /v1/trace requests replaying blocks at
// once (each reads up to tracer.DefaultTraceBlocks blocks from the node).
const MaxConcurrentTraces = 2

// traceAPI serves /v1/trace with tracer.TraceTx over the daemon's
// followers (as block sources, locators, balance and prevout readers,
// with their chains' recognisers: traceDeps) and its watchlists (labels).
type traceAPI struct {
	d   *Daemon
	sem chan struct{}
}

func newTraceAPI(d *Daemon) *traceAPI {
	return &traceAPI{d: d, sem: make(chan struct{}, MaxConcurrentTraces)}
}

// Trace implements api.Tracer.
func (t *traceAPI) Trace(ctx context.Context, req api.TraceRequest) (*tracer.FlowGraph, error) {
	f, ok := t.d.backend(req.Chain)
	if !ok {
		if specOf(req.Chain) == nil {
			return nil, api.Errorf(api.CodeInvalidChain, "chain", "unknown chain %q", req.Chain)
		}
		return nil, api.Errorf(api.CodeNotImplemented, "chain", "this server follows no %s node", req.Chain)
	}
	deps := traceDeps(t.d.cfg, f, publicLabels{t.d.Registry}, t.d.Engine(), t.d.log)
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
