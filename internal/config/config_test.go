package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const good = `
data_dir: /tmp/ch
api: { listen: 127.0.0.1:9999 }
store: { backend: pebble }
chains:
  ethereum:
    network: dev
    rpc: ws://127.0.0.1:8546
    confirmations: 12
    start_block: latest
    traces: auto
  bitcoin:
    network: simnet
    rpc: http://127.0.0.1:18556
    rpc_user: user
    rpc_password: pass
    confirmations: 2
    start_block: 100
    mempool: true
tracer: { policy: fifo, dust: { ethereum: "1000000000000000", bitcoin: 10000 }, max_hops: 6 }
alerts: { retention: { max_count: 1000, max_age: 720h } }
`

func TestParseGood(t *testing.T) {
	c, err := Parse("good.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/tmp/ch" || c.API.Listen != "127.0.0.1:9999" || c.Store.Backend != "pebble" {
		t.Errorf("top level: %+v", c)
	}
	e := c.Chains.Ethereum
	if e == nil || e.Network != "dev" || e.Confirmations != 12 || !e.StartBlock.Latest || e.Traces != "auto" || e.PollInterval != 2*time.Second {
		t.Errorf("ethereum: %+v", e)
	}
	b := c.Chains.Bitcoin
	if b == nil || b.StartBlock.Latest || b.StartBlock.Number != 100 || !b.Mempool || b.PollInterval != 2*time.Second {
		t.Errorf("bitcoin: %+v", b)
	}
	if c.Tracer.Policy != "fifo" || c.Tracer.MaxHops != 6 || c.Tracer.DustAmounts["ethereum"].String() != "1000000000000000" || c.Tracer.DustAmounts["bitcoin"].Int64() != 10000 {
		t.Errorf("tracer: %+v", c.Tracer)
	}
	if c.Alerts.Retention.MaxCount != 1000 || c.Alerts.Retention.MaxAge != 720*time.Hour {
		t.Errorf("alerts: %+v", c.Alerts)
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse("min.yaml", []byte("chains:\n  ethereum:\n    rpc: http://127.0.0.1:8545\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "./chainhound-data" || c.API.Listen != "127.0.0.1:8080" || c.Tracer.Policy != "haircut" || c.Tracer.MaxHops != 12 {
		t.Errorf("defaults: %+v", c)
	}
	if c.API.MaxWebsocketsPerKey != 100 || c.API.MaxWebsocketsPerTenant != 1000 {
		t.Errorf("websocket caps: %+v", c.API)
	}
	if e := c.Chains.Ethereum; e.Network != "mainnet" || !e.StartBlock.Latest || e.Traces != "auto" {
		t.Errorf("ethereum defaults: %+v", e)
	}
	if c.Chains.Bitcoin != nil {
		t.Error("bitcoin should be off when absent")
	}
}

// Every key with a bad value, and the exact error it gets.
// TestIndexRetain: index.retain as days, a Go duration, blocks or off,
// and 30 days when absent.
func TestIndexRetain(t *testing.T) {
	for _, c := range []struct {
		yaml   string
		off    bool
		dur    time.Duration
		blocks uint64
	}{
		{"data_dir: x\n", false, 30 * 24 * time.Hour, 0},
		{"index: { retain: 7d }\n", false, 7 * 24 * time.Hour, 0},
		{"index: { retain: 1.5d }\n", false, 36 * time.Hour, 0},
		{"index: { retain: 72h }\n", false, 72 * time.Hour, 0},
		{"index: { retain: 50000 blocks }\n", false, 0, 50000},
		{"index: { retain: 1 block }\n", false, 0, 1},
		{"index: { retain: off }\n", true, 0, 0},
	} {
		cfg, err := Parse("c.yaml", []byte(c.yaml))
		if err != nil {
			t.Fatalf("%q: %v", c.yaml, err)
		}
		if x := cfg.Index; x.Off != c.off || x.For != c.dur || x.Blocks != c.blocks {
			t.Fatalf("%q: got off %v, %v, %d blocks", c.yaml, x.Off, x.For, x.Blocks)
		}
	}
	if d := Default().Index; d.Off || d.For != 30*24*time.Hour {
		t.Fatalf("default index %+v", d)
	}
}

func TestParseBad(t *testing.T) {
	eth := "chains:\n  ethereum:\n    rpc: ws://127.0.0.1:8546\n"
	btc := "chains:\n  bitcoin:\n    rpc: http://127.0.0.1:8332\n    rpc_user: u\n    rpc_password: p\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "c.yaml:1: file is empty"},
		{"only comments", "# nothing\n", "c.yaml:1: file is empty"},
		{"not yaml", "chains: [\n", "c.yaml:1: not valid YAML: did not find expected node content"},
		{"not a mapping", "- a\n- b\n", "c.yaml:1: not a YAML mapping of configuration keys"},
		{"unknown top key", "data_dir: x\nbogus: 1\n", "c.yaml:2: bogus: unknown key (known here: alerts, api, chains, data_dir, index, screen, store, tracer, webhooks)"},
		{"unknown chain", "chains:\n  solana:\n    rpc: x\n", "c.yaml:2: chains.solana: unknown key (known here: bitcoin, ethereum)"},
		{"unknown nested key", eth + "    confirmation: 3\n", "c.yaml:4: chains.ethereum.confirmation: unknown key (known here: confirmations, mempool, network, poll_interval, rpc, start_block, traces)"},
		{"empty data_dir", "data_dir: ' '\n", "c.yaml:1: data_dir: must not be empty (leave the key out for ./chainhound-data)"},
		{"bad api.listen", "api: { listen: nonsense }\n", `c.yaml:1: api.listen: want host:port, got "nonsense"`},
		{"zero websockets per key", "api:\n  max_websockets_per_key: 0\n", "c.yaml:2: api.max_websockets_per_key: want 1 to 1000000 open websockets, got 0"},
		{"negative websockets per tenant", "api: { max_websockets_per_tenant: -5 }\n", "c.yaml:1: api.max_websockets_per_tenant: must not be negative, got -5"},
		{"websockets per key not a number", "api: { max_websockets_per_key: lots }\n", `c.yaml:1: api.max_websockets_per_key: want a whole number, got "lots"`},
		{"bad backend", "store: { backend: mysql }\n", `c.yaml:1: store.backend: unknown backend "mysql" (want pebble or redis)`},
		{"redis without url", "store: { backend: redis }\n", "c.yaml:1: store: backend redis needs url (redis://host:port/db) or sentinel"},
		{"redis bad url", "store: { backend: redis, url: 'http://x:1' }\n", `c.yaml:1: store.url: want redis:// or rediss:// URL, got "http://x:1"`},
		{"eth unknown network", eth + "    network: ropsten\n", `c.yaml:4: chains.ethereum.network: unknown ethereum network "ropsten" (want mainnet, sepolia, holesky, dev)`},
		{"eth no rpc", "chains:\n  ethereum:\n    network: dev\n", "c.yaml:3: chains.ethereum: rpc is required (ws://, wss://, http:// or https:// URL of the node)"},
		{"eth unparsable rpc", "chains:\n  ethereum:\n    rpc: 'ws://[::1'\n", `c.yaml:3: chains.ethereum.rpc: unparsable URL: parse "ws://[::1": missing ']' in host`},
		{"eth bad scheme", "chains:\n  ethereum:\n    rpc: ftp://x\n", `c.yaml:3: chains.ethereum.rpc: unsupported scheme "ftp" (want ws, wss, http or https)`},
		{"eth no host", "chains:\n  ethereum:\n    rpc: localhost\n", `c.yaml:3: chains.ethereum.rpc: unparsable URL: "localhost" has no scheme or host`},
		{"eth negative confirmations", eth + "    confirmations: -1\n", "c.yaml:4: chains.ethereum.confirmations: must not be negative, got -1"},
		{"eth confirmations not a number", eth + "    confirmations: many\n", `c.yaml:4: chains.ethereum.confirmations: want a whole number, got "many"`},
		{"btc confirmations a list", btc + "    confirmations: [1, 2]\n", "c.yaml:6: chains.bitcoin.confirmations: want a whole number, got a list"},
		{"second of a flow mapping", "tracer: { policy: haircut, max_hops: many }\n", `c.yaml:1: tracer.max_hops: want a whole number, got "many"`},
		{"long value in full", eth + "    confirmations: twelve-or-so-blocks\n", `c.yaml:4: chains.ethereum.confirmations: want a whole number, got "twelve-or-so-blocks"`},
		{"two alike on one line", "alerts: { retention: { max_count: 10, max_age: 10 } }\n", "c.yaml:1: not valid YAML: cannot unmarshal !!int `10` into time.Duration"},
		{"start_block in a flow mapping", "chains:\n  ethereum: { rpc: 'ws://x:1', start_block: yesterday }\n", `c.yaml:2: chains.ethereum.start_block: "yesterday" is neither latest nor a block number`},
		{"start_block a list", eth + "    start_block: [1, 2]\n", "c.yaml:4: chains.ethereum.start_block: want latest or a block number"},
		{"value on two lines", eth + "    confirmations: \"a\\nb\"\n", `c.yaml:4: chains.ethereum.confirmations: want a whole number, got "a\nb"`},
		{"block scalar", eth + "    confirmations: |\n      many\n      more\n", `c.yaml:4: chains.ethereum.confirmations: want a whole number, got "many\nmore\n"`},
		{"an anchor used elsewhere", "chains:\n  ethereum:\n    rpc: 'ws://x:1'\n    network: &n mainnet\n    confirmations: *n\n", "c.yaml:4: not valid YAML: cannot unmarshal !!str `mainnet` into int"},
		{"mempool not a bool", eth + "    mempool: often\n", `c.yaml:4: chains.ethereum.mempool: want true or false, got "often"`},
		{"eth bad start_block", eth + "    start_block: yesterday\n", `c.yaml:4: chains.ethereum.start_block: "yesterday" is neither latest nor a block number`},
		{"eth negative start_block", eth + "    start_block: -5\n", `c.yaml:4: chains.ethereum.start_block: "-5" is neither latest nor a block number`},
		{"eth bad traces", eth + "    traces: maybe\n", `c.yaml:4: chains.ethereum.traces: unknown value "maybe" (want auto, on or off)`},
		{"eth bad poll interval", eth + "    poll_interval: soon\n", `c.yaml:4: chains.ethereum.poll_interval: want a duration such as 500ms, 2s or 1h, got "soon"`},
		{"eth mempool over http", "chains:\n  ethereum:\n    rpc: http://x:1\n    mempool: true\n", "c.yaml:4: chains.ethereum.mempool: needs a ws:// or wss:// rpc to subscribe to pending transactions"},
		{"btc unknown network", btc + "    network: mainnet2\n", `c.yaml:6: chains.bitcoin.network: unknown bitcoin network "mainnet2" (want mainnet, testnet, testnet4, signet, regtest, simnet)`},
		{"btc missing credentials", "chains:\n  bitcoin:\n    rpc: http://127.0.0.1:8332\n    rpc_user: u\n", "c.yaml:3: chains.bitcoin: missing credentials: set rpc_user and rpc_password, or rpc_cookie"},
		{"btc both credentials", btc + "    rpc_cookie: /x/.cookie\n", "c.yaml:6: chains.bitcoin.rpc_cookie: set either rpc_cookie or rpc_user/rpc_password, not both"},
		{"btc ws scheme", "chains:\n  bitcoin:\n    rpc: ws://x:1\n    rpc_cookie: /c\n", `c.yaml:3: chains.bitcoin.rpc: unsupported scheme "ws" (want http or https)`},
		{"btc negative confirmations", btc + "    confirmations: -2\n", "c.yaml:6: chains.bitcoin.confirmations: must not be negative, got -2"},
		{"unknown policy", "tracer: { policy: lifo }\n", `c.yaml:1: tracer.policy: unknown policy "lifo" (want haircut, poison or fifo)`},
		{"negative max_hops", "tracer: { max_hops: -1 }\n", "c.yaml:1: tracer.max_hops: must not be negative, got -1"},
		{"bad min_share", "tracer: { min_share: 2 }\n", "c.yaml:1: tracer.min_share: want a fraction in [0, 1), got 2"},
		{"bad dust", "tracer:\n  dust: { ethereum: 0.5 }\n", `c.yaml:2: tracer.dust.ethereum: want a non-negative integer amount in the smallest unit (wei, satoshi), got "0.5"`},
		{"unknown dust chain", "tracer:\n  dust: { dogecoin: 1 }\n", "c.yaml:2: tracer.dust.dogecoin: unknown key (known here: bitcoin, ethereum)"},
		{"bad drain share", "tracer:\n  drain: { share: 1.5 }\n", "c.yaml:2: tracer.drain.share: want a fraction in [0, 1], got 1.5"},
		{"negative drain amount", "tracer:\n  drain:\n    amount: { bitcoin: '-1' }\n", `c.yaml:3: tracer.drain.amount.bitcoin: want a non-negative integer amount in the smallest unit (wei, satoshi), got "-1"`},
		{"allow_private not a CIDR", "webhooks:\n  allow_private:\n    - 127.0.0.0/8\n    - localhost\n", `c.yaml:4: webhooks.allow_private[1]: want a CIDR such as 127.0.0.0/8 or fd00::/8 (a single address as /32 or /128), got "localhost"`},
		{"allow_private bare address", "webhooks: { allow_private: [10.0.0.1] }\n", `c.yaml:1: webhooks.allow_private[0]: want a CIDR such as 127.0.0.0/8 or fd00::/8 (a single address as /32 or /128), got "10.0.0.1"`},
		{"allow_private not a list", "webhooks: { allow_private: 127.0.0.0/8 }\n", `c.yaml:1: webhooks.allow_private: want a list of strings, got "127.0.0.0/8"`},
		{"unknown webhooks key", "webhooks: { allow: [] }\n", "c.yaml:1: webhooks.allow: unknown key (known here: allow_private)"},
		{"public_url relative", "api:\n  public_url: hound.example.com\n", `c.yaml:2: api.public_url: want the console's absolute http(s) URL without query or fragment, such as https://hound.example.com, got "hound.example.com"`},
		{"public_url with fragment", "api: { public_url: 'https://h.example/#/x' }\n", `c.yaml:1: api.public_url: want the console's absolute http(s) URL without query or fragment, such as https://hound.example.com, got "https://h.example/#/x"`},
		{"negative retention age", "alerts:\n  retention: { max_age: -1h }\n", "c.yaml:2: alerts.retention.max_age: must not be negative, got -1h0m0s"},
		{"index retain not a duration", "index:\n  retain: a month\n", `c.yaml:2: index.retain: want a duration (30d, 72h), a number of blocks ("50000 blocks") or off, got "a month"`},
		{"index retain zero days", "index: { retain: 0d }\n", `c.yaml:1: index.retain: want a positive number of days such as 30d, got "0d"`},
		{"index retain zero blocks", "index: { retain: 0 blocks }\n", `c.yaml:1: index.retain: want a positive number of blocks such as "50000 blocks", got "0 blocks"`},
		{"index retain negative", "index: { retain: -5h }\n", `c.yaml:1: index.retain: want a duration (30d, 72h), a number of blocks ("50000 blocks") or off, got "-5h"`},
		{"unknown index key", "index: { keep: 30d }\n", "c.yaml:1: index.keep: unknown key (known here: retain)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *config.Error", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestAPIPublicURL(t *testing.T) {
	c, err := Parse("c.yaml", []byte("api:\n  public_url: https://hound.example.com/console\n"))
	if err != nil || c.API.PublicURL != "https://hound.example.com/console" {
		t.Fatalf("%+v %v", c.API, err)
	}
}

func TestWebhooksAllowPrivate(t *testing.T) {
	c, err := Parse("c.yaml", []byte("webhooks:\n  allow_private: [127.0.0.0/8, '10.1.2.3/8', 'fd00::/8']\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(c.Webhooks.AllowPrivatePrefixes); got != "[127.0.0.0/8 10.0.0.0/8 fd00::/8]" {
		t.Fatalf("prefixes %s", got)
	}
	if c, _ := Parse("c.yaml", []byte("data_dir: x\n")); len(c.Webhooks.AllowPrivatePrefixes) != 0 {
		t.Fatal("allow_private is not empty by default")
	}
}

func TestStoreRedis(t *testing.T) {
	c, err := Parse("c.yaml", []byte("store: { backend: redis, url: 'redis://127.0.0.1:6379/0' }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.Backend != "redis" || c.Store.URL != "redis://127.0.0.1:6379/0" {
		t.Fatalf("store %+v", c.Store)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	if err == nil || !strings.Contains(err.Error(), "absent.yaml: cannot read: no such file or directory") {
		t.Fatalf("got %v", err)
	}
}

// The example shipped at the root must parse: it documents every key.
func TestExampleParses(t *testing.T) {
	data, err := os.ReadFile("../../chainhound.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("chainhound.example.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Chains.Ethereum == nil || c.Chains.Bitcoin == nil {
		t.Fatal("example should configure both chains")
	}
	// Every schema key appears in the example.
	var missing []string
	var walk func(path string, k keys)
	walk = func(path string, k keys) {
		for name, sub := range k {
			p := join(path, name)
			if !strings.Contains(string(data), name+":") {
				missing = append(missing, p)
			}
			if sub != nil {
				walk(p, sub)
			}
		}
	}
	walk("", schema)
	if len(missing) > 0 {
		t.Errorf("example does not document: %v", missing)
	}
}
