package bitcoin

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/chainhound/chainhound/chains"
)

// Network is a Bitcoin network chainhound can follow.
type Network struct {
	Name   string           // as in docs/interface.md: mainnet, testnet, testnet4, signet, regtest, simnet
	Chain  string           // what getblockchaininfo reports as "chain" (bitcoind; btcd differs, see chainNames)
	Params *chaincfg.Params // address encodings and genesis
}

// Networks lists the networks by their docs/interface.md names.
var Networks = map[string]Network{
	"mainnet":  {"mainnet", "main", &chaincfg.MainNetParams},
	"testnet":  {"testnet", "test", &chaincfg.TestNet3Params},
	"testnet4": {"testnet4", "testnet4", &chaincfg.TestNet4Params},
	"signet":   {"signet", "signet", &chaincfg.SigNetParams},
	"regtest":  {"regtest", "regtest", &chaincfg.RegressionNetParams},
	"simnet":   {"simnet", "simnet", &chaincfg.SimNetParams},
}

// chainNames are every "chain" value of getblockchaininfo that means the
// network: bitcoind reports main/test/testnet4/signet/regtest, btcd reports
// its params' names (mainnet, testnet3, regtest, simnet, signet).
func (n Network) chainNames() []string {
	names := []string{n.Chain, n.Params.Name}
	if n.Name == "testnet" {
		names = append(names, "testnet3")
	}
	return names
}

// Config configures a Follower. Field names follow the YAML keys of
// docs/interface.md (chains.bitcoin).
type Config struct {
	Network string // mainnet | testnet | testnet4 | signet | regtest | simnet
	// RPC is the node's JSON-RPC endpoint: http://host:port or
	// https://host:port (or host:port, taken as http).
	RPC         string
	RPCUser     string
	RPCPassword string
	RPCCookie   string // path of bitcoind's .cookie file, instead of user/password

	Confirmations uint64 // depth at which Confirmed is emitted (0 = on inclusion)
	StartBlock    string // "latest" (or "") or a height; used when no checkpoint exists
	Mempool       bool   // emit Pending transactions from the node's mempool

	// PollInterval is how often getbestblockhash (and getrawmempool) is
	// polled. Default 2s on regtest and simnet, 10s otherwise.
	PollInterval time.Duration
	// BackfillConcurrency bounds the blocks fetched at once when behind.
	// Default 4, at most 64.
	BackfillConcurrency int
	// PrevoutCacheSize bounds the transactions kept by Prevouts. Default 10000.
	PrevoutCacheSize int
	// Checkpoints persists the last acknowledged block. Required by New;
	// OpenReader opens a follower without one.
	Checkpoints chains.CheckpointStore
	// Logger; default slog.Default().
	Logger *slog.Logger
}

// parsed is a validated Config.
type parsed struct {
	Config
	net        Network
	host       string
	tls        bool
	startBlock uint64
	startAtTip bool
}

func (c Config) parse() (*parsed, error) {
	p := &parsed{Config: c}
	n, ok := Networks[c.Network]
	if !ok {
		return nil, fmt.Errorf("bitcoin: network %q: want mainnet, testnet, testnet4, signet, regtest or simnet", c.Network)
	}
	p.net = n
	raw := strings.TrimSpace(c.RPC)
	if raw != "" && !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("bitcoin: rpc %q: want http://host:port or https://host:port", c.RPC)
	}
	switch u.Scheme {
	case "http":
	case "https":
		p.tls = true
	default:
		return nil, fmt.Errorf("bitcoin: rpc %q: unsupported scheme %q (want http or https)", c.RPC, u.Scheme)
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("bitcoin: rpc %q: a path is not supported (wallet endpoints are not needed)", c.RPC)
	}
	p.host = u.Host
	if u.User != nil && c.RPCUser == "" {
		p.RPCUser = u.User.Username()
		p.RPCPassword, _ = u.User.Password()
	}
	switch {
	case p.RPCCookie != "" && p.RPCUser != "":
		return nil, fmt.Errorf("bitcoin: rpc_cookie and rpc_user are exclusive: set one")
	case p.RPCCookie != "":
		if _, err := os.Stat(p.RPCCookie); err != nil {
			return nil, fmt.Errorf("bitcoin: rpc_cookie %q: %w", p.RPCCookie, err)
		}
	case p.RPCUser == "":
		return nil, fmt.Errorf("bitcoin: rpc_user (with rpc_password) or rpc_cookie is required")
	}
	switch s := strings.TrimSpace(c.StartBlock); s {
	case "", "latest":
		p.startAtTip = true
	default:
		h, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bitcoin: start_block %q: want \"latest\" or a block height", c.StartBlock)
		}
		p.startBlock = h
	}
	if c.Checkpoints == nil {
		return nil, fmt.Errorf("bitcoin: a checkpoint store is required")
	}
	if p.PollInterval < 0 {
		return nil, fmt.Errorf("bitcoin: poll interval %s: must be positive", c.PollInterval)
	}
	if p.PollInterval == 0 {
		p.PollInterval = 10 * time.Second
		if n.Name == "regtest" || n.Name == "simnet" {
			p.PollInterval = 2 * time.Second
		}
	}
	if c.Confirmations > MaxReorgDepth {
		return nil, fmt.Errorf("bitcoin: confirmations %d: at most %d (the reorg window)", c.Confirmations, MaxReorgDepth)
	}
	if p.BackfillConcurrency < 0 || p.BackfillConcurrency > 64 {
		return nil, fmt.Errorf("bitcoin: backfill concurrency %d: want 1 to 64", c.BackfillConcurrency)
	}
	if p.BackfillConcurrency == 0 {
		p.BackfillConcurrency = 4
	}
	if p.PrevoutCacheSize < 0 {
		return nil, fmt.Errorf("bitcoin: prevout cache size %d: must not be negative", c.PrevoutCacheSize)
	}
	if p.PrevoutCacheSize == 0 {
		p.PrevoutCacheSize = 10_000
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	p.Logger = p.Logger.With("chain", string(chains.Bitcoin), "network", n.Name)
	return p, nil
}

var _ chains.Backend = (*Follower)(nil)

// OpenReader returns a Follower used only to read the node: blocks by
// height, the block of a transaction, prevouts. It needs no checkpoint
// store (cfg.Checkpoints is ignored) and its Run returns
// chains.ErrNoCheckpoints. Like New, it does not contact the node.
func OpenReader(cfg Config) (*Follower, error) {
	cfg.Checkpoints = chains.NoCheckpoints{}
	return New(cfg)
}
