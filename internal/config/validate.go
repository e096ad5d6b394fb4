package config

import (
	"fmt"
	"github.com/chainhound/chainhound/screening"
	"math/big"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/chainhound/chainhound/chains/bitcoin"
	"github.com/chainhound/chainhound/chains/ethereum"
	"github.com/chainhound/chainhound/watchlists"
	"gopkg.in/yaml.v3"
)

// schema lists the known keys: a nested map for a mapping, nil for a leaf,
// chainKeyed for a mapping keyed by chain name.
type keys map[string]keys

var chainKeyed = keys{"ethereum": nil, "bitcoin": nil}

var schema = keys{
	"data_dir": nil,
	"api":      {"listen": nil, "origins": nil, "max_websockets_per_key": nil, "max_websockets_per_tenant": nil, "public_url": nil},
	"store": {"backend": nil, "url": nil, "lease": nil, "wait_replicas": nil, "wait_timeout": nil,
		"sentinel": {"master": nil, "addrs": nil, "password": nil}},
	"chains": {
		"ethereum": {"network": nil, "rpc": nil, "confirmations": nil, "start_block": nil, "traces": nil, "mempool": nil, "poll_interval": nil},
		"bitcoin": {"network": nil, "rpc": nil, "rpc_user": nil, "rpc_password": nil, "rpc_cookie": nil,
			"confirmations": nil, "start_block": nil, "mempool": nil, "poll_interval": nil},
	},
	"tracer": {
		"policy": nil, "dust": chainKeyed, "max_hops": nil, "min_share": nil, "confidence_floor": nil,
		"drain":         {"amount": chainKeyed, "share": nil, "window": nil},
		"auto_incident": nil,
	},
	"alerts":   {"retention": {"max_count": nil, "max_age": nil}},
	"index":    {"retain": nil},
	"screen":   {"hops": nil, "risk": {"dprk": nil, "sanctioned": nil, "stolen": nil, "mixer": nil, "bridge": nil}},
	"webhooks": {"allow_private": nil},
}

func checkKeys(file string, n *yaml.Node, path string, known keys) error {
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		return &Error{File: file, Line: n.Line, Key: path, Msg: "want a mapping of keys"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := join(path, k.Value)
		sub, ok := known[k.Value]
		if !ok {
			return &Error{File: file, Line: k.Line, Key: p, Msg: fmt.Sprintf("unknown key (known here: %s)", knownList(known))}
		}
		if sub != nil {
			if err := checkKeys(file, v, p, sub); err != nil {
				return err
			}
		}
	}
	return nil
}

func knownList(k keys) string {
	names := make([]string, 0, len(k))
	for n := range k {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// find returns the value node at a dotted path, or nil.
func find(root *yaml.Node, path string) *yaml.Node {
	n := root
	for _, k := range strings.Split(path, ".") {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

var (
	// The networks addresses are validated for; a test keeps the
	// followers' tables in step with them.
	ethNetworks = watchlists.EthereumNetworks
	btcNetworks = watchlists.BitcoinNetworks
)

func (c *Config) validate(file string, root *yaml.Node) error {
	c.fixStartBlocks(root)
	bad := func(path, format string, args ...any) error {
		line := 0
		if n := find(root, path); n != nil {
			line = n.Line
		}
		return &Error{File: file, Line: line, Key: path, Msg: fmt.Sprintf(format, args...)}
	}
	// nodeURL checks the network (one of networks) and the rpc (want says
	// what it should be) of the chain section at p, and returns the rpc's
	// URL.
	nodeURL := func(p, chain, network string, networks []string, rpc, want string) (*url.URL, error) {
		if !slices.Contains(networks, network) {
			return nil, bad(p+".network", "unknown %s network %q (want %s)", chain, network, strings.Join(networks, ", "))
		}
		if rpc == "" {
			return nil, bad(p, "rpc is required (%s)", want)
		}
		u, err := parseURL(rpc)
		if err != nil {
			return nil, bad(p+".rpc", "unparsable URL: %v", err)
		}
		return u, nil
	}
	switch c.Store.Backend {
	case "pebble":
	case "redis":
		if c.Store.URL == "" && c.Store.Sentinel == nil {
			return bad("store", "backend redis needs url (redis://host:port/db) or sentinel")
		}
		if c.Store.URL != "" {
			u, err := parseURL(c.Store.URL)
			if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
				return bad("store.url", "want redis:// or rediss:// URL, got %q", c.Store.URL)
			}
		}
		if sn := c.Store.Sentinel; sn != nil {
			if sn.Master == "" {
				return bad("store.sentinel", "master is required (the name Sentinel monitors)")
			}
			if len(sn.Addrs) == 0 {
				return bad("store.sentinel", "addrs is required (host:port of each sentinel)")
			}
			for i, a := range sn.Addrs {
				if _, _, err := splitHostPort(a); err != nil {
					return bad("store.sentinel.addrs", "entry %d: want host:port, got %q", i+1, a)
				}
			}
		}
	default:
		return bad("store.backend", "unknown backend %q (want pebble or redis)", c.Store.Backend)
	}
	if c.Store.Backend != "redis" && (c.Store.Sentinel != nil || c.Store.WaitReplicas != 0) {
		return bad("store", "sentinel and wait_replicas are for backend redis")
	}
	if c.Store.WaitReplicas < 0 {
		return bad("store.wait_replicas", "want 0 or more, got %d", c.Store.WaitReplicas)
	}
	if c.Store.WaitTimeout < 0 {
		return bad("store.wait_timeout", "want a positive duration, got %s", c.Store.WaitTimeout)
	}
	if c.Store.Lease < 0 || c.Store.Lease > 0 && c.Store.Lease < MinLease {
		return bad("store.lease", "want at least %s (renewed every third of it), got %s", MinLease, c.Store.Lease)
	}
	if _, _, err := splitHostPort(c.API.Listen); err != nil {
		return bad("api.listen", "want host:port, got %q", c.API.Listen)
	}
	if p := c.API.PublicURL; p != "" {
		u, err := parseURL(p)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return bad("api.public_url", "want the console's absolute http(s) URL without query or fragment, such as https://hound.example.com, got %q", p)
		}
	}
	for _, key := range []string{"api.max_websockets_per_key", "api.max_websockets_per_tenant"} {
		if n := find(root, key); n != nil {
			if v, err := strconv.Atoi(n.Value); err == nil && (v < 1 || v > MaxWebsockets) {
				return bad(key, "want 1 to %d open websockets, got %d", MaxWebsockets, v)
			}
		}
	}
	if e := c.Chains.Ethereum; e != nil {
		p := "chains.ethereum"
		u, err := nodeURL(p, "ethereum", e.Network, ethNetworks, e.RPC, "ws://, wss://, http:// or https:// URL of the node")
		if err != nil {
			return err
		}
		if !slices.Contains([]string{"ws", "wss", "http", "https"}, u.Scheme) {
			return bad(p+".rpc", "unsupported scheme %q (want ws, wss, http or https)", u.Scheme)
		}
		if e.Confirmations > ethereum.MaxReorgDepth {
			return bad(p+".confirmations", "at most %d (the follower's reorg window), got %d", ethereum.MaxReorgDepth, e.Confirmations)
		}
		if !slices.Contains([]string{"auto", "on", "off"}, e.Traces) {
			return bad(p+".traces", "unknown value %q (want auto, on or off)", e.Traces)
		}
		if e.Mempool && (u.Scheme == "http" || u.Scheme == "https") {
			return bad(p+".mempool", "needs a ws:// or wss:// rpc to subscribe to pending transactions")
		}
	}
	if b := c.Chains.Bitcoin; b != nil {
		p := "chains.bitcoin"
		u, err := nodeURL(p, "bitcoin", b.Network, btcNetworks, b.RPC, "http:// URL of bitcoind or btcd")
		if err != nil {
			return err
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return bad(p+".rpc", "unsupported scheme %q (want http or https)", u.Scheme)
		}
		if b.RPCCookie == "" && (b.RPCUser == "" || b.RPCPassword == "") {
			return bad(p, "missing credentials: set rpc_user and rpc_password, or rpc_cookie")
		}
		if b.RPCCookie != "" && (b.RPCUser != "" || b.RPCPassword != "") {
			return bad(p+".rpc_cookie", "set either rpc_cookie or rpc_user/rpc_password, not both")
		}
		if b.Confirmations > bitcoin.MaxReorgDepth {
			return bad(p+".confirmations", "at most %d (the follower's reorg window), got %d", bitcoin.MaxReorgDepth, b.Confirmations)
		}
	}
	t := &c.Tracer
	if !slices.Contains([]string{"haircut", "poison", "fifo"}, t.Policy) {
		return bad("tracer.policy", "unknown policy %q (want haircut, poison or fifo)", t.Policy)
	}
	if t.MaxHops > watchlists.MaxHopsLimit {
		return bad("tracer.max_hops", "at most %d (the API's limit), got %d", watchlists.MaxHopsLimit, t.MaxHops)
	}
	if t.MinShare >= 1 {
		return bad("tracer.min_share", "want a fraction in [0, 1), got %v", t.MinShare)
	}
	if t.ConfidenceFloor > 1 {
		return bad("tracer.confidence_floor", "want a fraction in (0, 1], got %v", t.ConfidenceFloor)
	}
	var err error
	if t.DustAmounts, err = amounts(t.Dust, "tracer.dust", bad); err != nil {
		return err
	}
	if t.Drain.Amounts, err = amounts(t.Drain.Amount, "tracer.drain.amount", bad); err != nil {
		return err
	}
	if t.Drain.Share > 1 {
		return bad("tracer.drain.share", "want a fraction in [0, 1], got %v", t.Drain.Share)
	}
	if err := c.Index.parseRetain(); err != nil {
		return bad("index.retain", "%v", err)
	}
	if h := c.Screen.Hops; h != nil && (*h < 0 || *h > 6) {
		return bad("screen.hops", "want 0 (direct only) to 6, got %d", *h)
	}
	if err := screenRisk(c.Screen.Risk); err != nil {
		return bad("screen.risk", "%v", err)
	}
	return c.validateWebhooks(file, root)
}

// validateWebhooks parses webhooks.allow_private, naming the line and
// index of a bad CIDR.
func (c *Config) validateWebhooks(file string, root *yaml.Node) error {
	list := find(root, "webhooks.allow_private")
	c.Webhooks.AllowPrivatePrefixes = nil
	for i, s := range c.Webhooks.AllowPrivate {
		line := 0
		if list != nil && list.Kind == yaml.SequenceNode && i < len(list.Content) {
			line = list.Content[i].Line
		}
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return &Error{File: file, Line: line, Key: fmt.Sprintf("webhooks.allow_private[%d]", i),
				Msg: fmt.Sprintf("want a CIDR such as 127.0.0.0/8 or fd00::/8 (a single address as /32 or /128), got %q", s)}
		}
		c.Webhooks.AllowPrivatePrefixes = append(c.Webhooks.AllowPrivatePrefixes, p.Masked())
	}
	return nil
}

// maxAmountBits bounds an amount: a uint256, the widest on any chain.
const maxAmountBits = 256

func amounts(in map[string]string, path string, bad func(string, string, ...any) error) (map[string]*big.Int, error) {
	out := make(map[string]*big.Int, len(in))
	for chain, s := range in {
		v, ok := new(big.Int).SetString(s, 10)
		if !ok || v.Sign() < 0 {
			return nil, bad(path+"."+chain, "want a non-negative integer amount in the smallest unit (wei, satoshi), got %q", s)
		}
		if v.BitLen() > maxAmountBits {
			return nil, bad(path+"."+chain, "beyond the largest amount, 2^256-1 (%d digits given)", len(s))
		}
		out[chain] = v
	}
	return out, nil
}

// screenRisk checks screen.risk's categories and levels.
func screenRisk(t map[string][]string) error {
	rt := screening.RiskTable{}
	for c, row := range t {
		rt[screening.Category(c)] = row
	}
	return rt.Validate()
}
