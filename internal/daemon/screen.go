package daemon

import (
	"context"
	"errors"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/screening"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// ScreenConfig turns the config's screen section into a screening.Config.
func ScreenConfig(c config.Screen) screening.Config {
	sc := screening.Config{}
	if c.Hops != nil {
		sc.Hops = *c.Hops
		if sc.Hops == 0 {
			sc.Hops = -1 // direct only
		}
	}
	if len(c.Risk) > 0 {
		sc.Risk = screening.RiskTable{}
		for k, v := range screening.DefaultRisk {
			sc.Risk[k] = v
		}
		for k, v := range c.Risk {
			sc.Risk[screening.Category(k)] = v
		}
	}
	return sc
}

// newScreener screens over the daemon's watchlist, its engine's holdings
// of open incidents and its transfer index.
func (d *Daemon) newScreener() *screening.Screener {
	return screening.New(ScreenConfig(d.cfg.Screen), d.Registry, daemonHoldings{d}, daemonIndex{d})
}

// daemonHoldings reads the open incidents' holders from the engine.
type daemonHoldings struct{ d *Daemon }

func (h daemonHoldings) Holdings(c chains.Chain, addr string) []screening.Holding {
	eng := h.d.Engine()
	if eng == nil || c != chains.Ethereum {
		return nil // Bitcoin's holders are outpoints: OutpointHoldings
	}
	var out []screening.Holding
	h.eachHolder(eng, c, func(inc watchlists.Incident, hd tracer.Holder) {
		if hd.Address != addr {
			return
		}
		asset := chains.ETH
		if hd.Asset != "" {
			asset = chains.Asset{Contract: hd.Asset}
		}
		out = append(out, screening.Holding{Incident: inc.ID, Title: inc.Title, Asset: asset, Amount: hd.Tainted, Hops: hd.Hops})
	})
	return out
}

// eachHolder calls fn with every holder of taint on c of every open
// incident of c.
func (h daemonHoldings) eachHolder(eng *tracer.Engine, c chains.Chain, fn func(watchlists.Incident, tracer.Holder)) {
	for _, inc := range h.d.Incidents.List("*", watchlists.Open) {
		if inc.Chain != c {
			continue
		}
		sum, ok := eng.Summary(inc.ID)
		if !ok {
			continue
		}
		for _, hd := range sum.Holders {
			if hd.Chain == c && hd.Tainted != nil && hd.Tainted.Sign() > 0 {
				fn(inc, hd)
			}
		}
	}
}

// OutpointHoldings returns the open incidents' taint held by each of
// outpoints ("txid:vout") of c, a UTXO chain, by outpoint.
func (h daemonHoldings) OutpointHoldings(c chains.Chain, outpoints map[string]bool) map[string][]screening.Holding {
	eng := h.d.Engine()
	if eng == nil {
		return nil
	}
	out := map[string][]screening.Holding{}
	h.eachHolder(eng, c, func(inc watchlists.Incident, hd tracer.Holder) {
		if outpoints[hd.Address] {
			out[hd.Address] = append(out[hd.Address], screening.Holding{Incident: inc.ID, Title: inc.Title, Asset: chains.BTC, Amount: hd.Tainted, Hops: hd.Hops})
		}
	})
	return out
}

// errNoIndex: the engine keeps no transfer index (index.retain: off).
var errNoIndex = errors.New("the transfer index is off (index.retain): indirect exposure needs it")

// daemonIndex reads the current engine's transfer index.
type daemonIndex struct{ d *Daemon }

func (x daemonIndex) AddressBlocks(ctx context.Context, c chains.Chain, addr string, limit int) ([]uint64, error) {
	if eng := x.d.Engine(); eng != nil && eng.Index() != nil {
		return eng.Index().AddressBlocks(ctx, c, addr, limit)
	}
	return nil, nil
}

func (x daemonIndex) Block(ctx context.Context, c chains.Chain, h uint64) (*chains.Block, error) {
	if eng := x.d.Engine(); eng != nil && eng.Index() != nil {
		return eng.Index().Block(ctx, c, h)
	}
	return nil, errNoIndex
}
