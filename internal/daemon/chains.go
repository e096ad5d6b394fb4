package daemon

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/bitcoin"
	"github.com/chainhound/chainhound/chains/ethereum"
	"github.com/chainhound/chainhound/internal/config"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/bridges/evmbridges"
	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
	"github.com/chainhound/chainhound/tracer/mixers/coinjoin"
	"github.com/chainhound/chainhound/tracer/mixers/tornado"
	"github.com/chainhound/chainhound/watchlists"
)

// registered are the chains chainhound can follow, in the order their
// followers open and start. A new chain is a package under chains/ whose
// follower is a chains.Backend, its section in internal/config, and one
// chainSpec here (docs/architecture.md, "Adding a chain").
var registered = []*chainSpec{&ethereumChain, &bitcoinChain}

// chainSpec registers one chain: how its follower opens from the
// configuration and what the tracer adds for its blocks. What every
// chain gets (its follower as block source and transaction locator, as
// balance reader or prevout resolver when it is one) needs no entry.
type chainSpec struct {
	chain chains.Chain
	// maxReorgDepth is the follower's reorg window; the tracer's journals
	// are as deep (finalityDepth).
	maxReorgDepth int
	// section is the chain's part of the configuration; nil when cfg
	// does not follow the chain.
	section func(cfg *config.Config) *chainSection
	// open builds the chain's follower from cfg, saving its checkpoints
	// in cp; a nil cp opens it as a block reader (it cannot Run). It
	// does not contact the node.
	open func(cfg *config.Config, cp chains.CheckpointStore, lg *slog.Logger) (chains.Backend, error)
	// engine, if set, adds to the daemon engine's deps what the chain's
	// blocks need besides the above (recognisers, CoinJoin detection).
	engine func(d *Daemon, b chains.Backend, deps *tracer.Deps)
	// trace, if set, adds the same to a trace's deps (fresh recognisers:
	// their state is the throwaway engine's).
	trace func(cfg *config.Config, b chains.Backend, deps *tracer.TraceDeps, lg *slog.Logger)
	// attach, if set, adds the chain's own parts to an opened daemon
	// (after its API): metrics, loaders that run beside the follower.
	attach func(d *Daemon, b chains.Backend) error
	// backfill, if set, reads the follower's catch-up: blocks behind the
	// node's head and the recent rate (chainhound_backfill_rate).
	backfill func(b chains.Backend) (remaining uint64, perSecond float64)
}

// chainSection is what every chain's configuration section says.
type chainSection struct {
	Network       string
	RPC           string // the node's address, for messages
	Confirmations int
}

var ethereumChain = chainSpec{
	chain:         chains.Ethereum,
	maxReorgDepth: ethereum.MaxReorgDepth,
	section: func(cfg *config.Config) *chainSection {
		if e := cfg.Chains.Ethereum; e != nil {
			return &chainSection{Network: e.Network, RPC: e.RPC, Confirmations: e.Confirmations}
		}
		return nil
	},
	open: func(cfg *config.Config, cp chains.CheckpointStore, lg *slog.Logger) (chains.Backend, error) {
		e := cfg.Chains.Ethereum
		c := ethereum.Config{
			Network:       e.Network,
			RPC:           e.RPC,
			Confirmations: uint64(e.Confirmations),
			StartBlock:    e.StartBlock.String(),
			Traces:        e.Traces,
			Mempool:       e.Mempool,
			PollInterval:  e.PollInterval,
			// The logs the recognisers read.
			KeepLogs:    slices.Concat(tornado.Topics(), thorchain.Topics(), evmbridges.KeepLogs()),
			Checkpoints: cp,
			Logger:      lg,
		}
		if cp == nil {
			return ethereum.OpenReader(c)
		}
		return ethereum.New(c)
	},
	engine: func(d *Daemon, b chains.Backend, deps *tracer.Deps) {
		deps.Recognisers = append(deps.Recognisers,
			tornado.New(d.Registry, b.(*ethereum.Follower), d.log).WithHistory().NotifyHistory(d.historyWake),
			evmbridges.New(d.Registry, d.log))
	},
	trace: func(_ *config.Config, b chains.Backend, deps *tracer.TraceDeps, lg *slog.Logger) {
		deps.Recognisers = []tracer.Recogniser{tornado.New(deps.Labels, b.(*ethereum.Follower), lg), thorchain.New(deps.Labels, lg), evmbridges.New(deps.Labels, lg)}
	},
	attach: func(d *Daemon, b chains.Backend) error { return d.openHistory(b.(*ethereum.Follower)) },
	backfill: func(b chains.Backend) (uint64, float64) {
		p := b.(*ethereum.Follower).Progress()
		return p.Remaining, p.BlocksPerSecond
	},
}

var bitcoinChain = chainSpec{
	chain:         chains.Bitcoin,
	maxReorgDepth: bitcoin.MaxReorgDepth,
	section: func(cfg *config.Config) *chainSection {
		if b := cfg.Chains.Bitcoin; b != nil {
			return &chainSection{Network: b.Network, RPC: b.RPC, Confirmations: b.Confirmations}
		}
		return nil
	},
	open: func(cfg *config.Config, cp chains.CheckpointStore, lg *slog.Logger) (chains.Backend, error) {
		b := cfg.Chains.Bitcoin
		c := bitcoin.Config{
			Network:       b.Network,
			RPC:           b.RPC,
			RPCUser:       b.RPCUser,
			RPCPassword:   b.RPCPassword,
			RPCCookie:     b.RPCCookie,
			Confirmations: uint64(b.Confirmations),
			StartBlock:    b.StartBlock.String(),
			Mempool:       b.Mempool,
			PollInterval:  b.PollInterval,
			Checkpoints:   cp,
			Logger:        lg,
		}
		if cp == nil {
			return bitcoin.OpenReader(c)
		}
		return bitcoin.New(c)
	},
	engine: func(d *Daemon, _ chains.Backend, deps *tracer.Deps) {
		deps.CoinJoins = coinJoins(d.cfg.Chains.Bitcoin.Network)
	},
	trace: func(cfg *config.Config, _ chains.Backend, deps *tracer.TraceDeps, _ *slog.Logger) {
		deps.CoinJoins = coinJoins(cfg.Chains.Bitcoin.Network)
	},
}

// coinJoins tells CoinJoins on a Bitcoin network (the known coordinators'
// fees are mainnet's).
func coinJoins(network string) func(tx *chains.Tx, ins []coinjoin.Input, h uint64) (coinjoin.Join, bool) {
	mainnet := network == "mainnet"
	return func(tx *chains.Tx, ins []coinjoin.Input, h uint64) (coinjoin.Join, bool) {
		return coinjoin.Detect(tx, ins, h, mainnet)
	}
}

// specOf is chain c's registration; nil for a chain not registered.
func specOf(c chains.Chain) *chainSpec {
	for _, s := range registered {
		if s.chain == c {
			return s
		}
	}
	return nil
}

// followed is one followed chain: its registration and its follower.
type followed struct {
	spec *chainSpec
	b    chains.Backend
}

// openBackends builds the followers of the chains cfg follows, in the
// registration order, saving their checkpoints in cp (nil: block readers).
// They do not contact their nodes yet. On error, those built before are
// returned too, for the caller to close.
func openBackends(cfg *config.Config, cp chains.CheckpointStore, lg *slog.Logger) ([]followed, error) {
	var out []followed
	for _, s := range registered {
		if s.section(cfg) == nil {
			continue
		}
		b, err := s.open(cfg, cp, lg)
		if err != nil {
			return out, fmt.Errorf("chains.%s: %w", s.chain, err)
		}
		out = append(out, followed{spec: s, b: b})
	}
	return out, nil
}

func closeBackends(fs []followed) {
	for _, f := range fs {
		f.b.Close()
	}
}

// backend returns the follower of chain c; false when c is not followed.
func (d *Daemon) backend(c chains.Chain) (followed, bool) {
	for _, f := range d.backends {
		if f.spec.chain == c {
			return f, true
		}
	}
	return followed{}, false
}

// Networks maps each chain cfg follows to its network, as the
// watchlists and the API check addresses against.
func Networks(cfg *config.Config) watchlists.Networks {
	n := watchlists.Networks{}
	for _, s := range registered {
		if sec := s.section(cfg); sec != nil {
			n[s.chain] = sec.Network
		}
	}
	return n
}

// finalityDepth is the tracer's journal depth per chain: the followers'
// reorg windows. A shallower journal would turn a reorg the follower
// reports into an error that stops the pipeline.
func finalityDepth() map[chains.Chain]int {
	m := map[chains.Chain]int{}
	for _, s := range registered {
		m[s.chain] = s.maxReorgDepth
	}
	return m
}

// traceDeps are a trace's dependencies over f's follower: it is the
// block source, the transaction locator and the balance or prevout
// reader. With eng, blocks and clean balances come from its transfer
// index where it holds them, from the node for the rest.
func traceDeps(cfg *config.Config, f followed, labels tracer.Labels, eng *tracer.Engine, lg *slog.Logger) tracer.TraceDeps {
	c := f.spec.chain
	deps := tracer.TraceDeps{Source: f.b, Locator: f.b, Labels: labels, Logger: lg}
	if eng != nil {
		deps.Source = eng.Source(c, f.b)
	}
	if br, ok := f.b.(chains.BalanceReader); ok {
		deps.Balances = br
		if eng != nil {
			deps.Balances = eng.BalanceReader(c, br)
		}
	}
	if pr, ok := f.b.(chains.PrevoutResolver); ok {
		deps.Prevouts = pr
	}
	if f.spec.trace != nil {
		f.spec.trace(cfg, f.b, &deps, lg)
	}
	return deps
}

// ErrNotFollowed is OpenTraceNode's error for a chain the configuration
// follows no node of.
var ErrNotFollowed = errors.New("the configuration follows no node of the chain")

// TraceNode is a chain's node opened from the configuration as a block
// reader, for `chainhound trace`: it is never run and saves nothing.
type TraceNode struct {
	// Node is the node's address (chains.<chain>.rpc).
	Node string
	cfg  *config.Config
	f    followed
}

// OpenTraceNode opens chain's node of cfg as a block reader; it does not
// contact the node. ErrNotFollowed when cfg configures none.
func OpenTraceNode(cfg *config.Config, chain chains.Chain, lg *slog.Logger) (*TraceNode, error) {
	s := specOf(chain)
	if s == nil || s.section(cfg) == nil {
		return nil, fmt.Errorf("%s: %w", chain, ErrNotFollowed)
	}
	b, err := s.open(cfg, nil, lg)
	if err != nil {
		return nil, fmt.Errorf("chains.%s: %w", chain, err)
	}
	return &TraceNode{Node: s.section(cfg).RPC, cfg: cfg, f: followed{spec: s, b: b}}, nil
}

// Deps are the trace's dependencies over the node, with the chain's
// recognisers reading labels.
func (n *TraceNode) Deps(labels tracer.Labels) tracer.TraceDeps {
	return traceDeps(n.cfg, n.f, labels, nil, nil)
}

// Close closes the node's connections.
func (n *TraceNode) Close() { n.f.b.Close() }
