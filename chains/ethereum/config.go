package ethereum

import (
	"fmt"
	"log/slog"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/chains"
)

// Networks maps the network names of docs/interface.md to their chain ids.
var Networks = map[string]uint64{
	"mainnet": 1,
	"sepolia": 11155111,
	"holesky": 17000,
	"dev":     1337, // geth --dev and the simulated backend
}

// Trace modes for Config.Traces.
const (
	TracesAuto = "auto"
	TracesOn   = "on"
	TracesOff  = "off"
)

// Config configures a Follower. Field names follow the YAML keys of
// docs/interface.md (chains.ethereum).
type Config struct {
	Network       string // mainnet | sepolia | holesky | dev
	RPC           string // ws://, wss://, http:// or https://
	Confirmations uint64 // depth at which Confirmed is emitted (0 = on inclusion)
	StartBlock    string // "latest" (or "") or a block number; used when no checkpoint exists
	Traces        string // auto | on | off; "" means auto
	Mempool       bool   // emit Pending transfers (ws only)

	// PollInterval is how often eth_blockNumber is polled over http, and
	// over ws while the subscription is down. Default 2s.
	PollInterval time.Duration
	// BackfillConcurrency bounds the blocks fetched at once when behind.
	// Default 8.
	BackfillConcurrency int
	// KeepLogs names, by topic0, the event logs a transaction keeps in
	// chains.Tx.Logs (the events of the mixers and bridges the tracer
	// recognises); every other log is dropped once decoded.
	KeepLogs [][32]byte
	// Checkpoints persists the last acknowledged block. Required by New;
	// OpenReader opens a follower without one.
	Checkpoints chains.CheckpointStore
	// Logger; default slog.Default().
	Logger *slog.Logger
}

// parsed is a validated Config.
type parsed struct {
	Config
	chainID    *big.Int
	ws         bool
	startBlock uint64
	startAtTip bool
}

func (c Config) parse() (*parsed, error) {
	p := &parsed{Config: c}
	id, ok := Networks[c.Network]
	if !ok {
		return nil, fmt.Errorf("ethereum: network %q: want mainnet, sepolia, holesky or dev", c.Network)
	}
	p.chainID = new(big.Int).SetUint64(id)
	u, err := url.Parse(c.RPC)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("ethereum: rpc %q: want ws://, wss://, http:// or https:// with a host", c.RPC)
	}
	switch u.Scheme {
	case "ws", "wss":
		p.ws = true
	case "http", "https":
	default:
		return nil, fmt.Errorf("ethereum: rpc %q: unsupported scheme %q (want ws, wss, http or https)", c.RPC, u.Scheme)
	}
	switch s := strings.TrimSpace(c.StartBlock); s {
	case "", "latest":
		p.startAtTip = true
	default:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("ethereum: start_block %q: want \"latest\" or a block number", c.StartBlock)
		}
		p.startBlock = n
	}
	switch c.Traces {
	case "":
		p.Traces = TracesAuto
	case TracesAuto, TracesOn, TracesOff:
	default:
		return nil, fmt.Errorf("ethereum: traces %q: want auto, on or off", c.Traces)
	}
	if c.Mempool && !p.ws {
		return nil, fmt.Errorf("ethereum: mempool: true needs a ws:// or wss:// rpc, got %q", c.RPC)
	}
	if c.Checkpoints == nil {
		return nil, fmt.Errorf("ethereum: a checkpoint store is required")
	}
	if p.PollInterval <= 0 {
		p.PollInterval = 2 * time.Second
	}
	if p.BackfillConcurrency <= 0 {
		p.BackfillConcurrency = 8
	}
	if p.BackfillConcurrency > 64 {
		return nil, fmt.Errorf("ethereum: backfill concurrency %d: at most 64", c.BackfillConcurrency)
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	p.Logger = p.Logger.With("chain", string(chains.Ethereum), "network", c.Network)
	return p, nil
}

var _ chains.Backend = (*Follower)(nil)

// OpenReader returns a Follower used only to read the node: blocks by
// height, the block of a transaction, balances. It needs no checkpoint
// store (cfg.Checkpoints is ignored) and its Run returns
// chains.ErrNoCheckpoints. Like New, it does not contact the node.
func OpenReader(cfg Config) (*Follower, error) {
	cfg.Checkpoints = chains.NoCheckpoints{}
	return New(cfg)
}
