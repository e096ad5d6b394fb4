package bitcoin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewValidatesConfig(t *testing.T) {
	store := openStore(t, t.TempDir())
	cookie := filepath.Join(t.TempDir(), ".cookie")
	if err := os.WriteFile(cookie, []byte("__cookie__:secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := Config{Network: "mainnet", RPC: "http://127.0.0.1:8332", RPCUser: "u", RPCPassword: "p", Checkpoints: store}
	tests := []struct {
		name   string
		edit   func(*Config)
		err    string        // "" = valid
		poll   time.Duration // expected default when valid
		tls    bool
		height uint64
	}{
		{"mainnet defaults", func(c *Config) {}, "", 10 * time.Second, false, 0},
		{"regtest polls faster", func(c *Config) { c.Network = "regtest" }, "", 2 * time.Second, false, 0},
		{"simnet polls faster", func(c *Config) { c.Network = "simnet" }, "", 2 * time.Second, false, 0},
		{"testnet4", func(c *Config) { c.Network = "testnet4" }, "", 10 * time.Second, false, 0},
		{"https", func(c *Config) { c.RPC = "https://127.0.0.1:8332" }, "", 10 * time.Second, true, 0},
		{"bare host:port", func(c *Config) { c.RPC = "127.0.0.1:18443" }, "", 10 * time.Second, false, 0},
		{"start block", func(c *Config) { c.StartBlock = "840000" }, "", 10 * time.Second, false, 840000},
		{"cookie", func(c *Config) { c.RPCUser, c.RPCPassword, c.RPCCookie = "", "", cookie }, "", 10 * time.Second, false, 0},
		{"unknown network", func(c *Config) { c.Network = "litecoin" }, `network "litecoin"`, 0, false, 0},
		{"ethereum network name", func(c *Config) { c.Network = "sepolia" }, `network "sepolia"`, 0, false, 0},
		{"no rpc", func(c *Config) { c.RPC = "" }, "rpc", 0, false, 0},
		{"ws scheme", func(c *Config) { c.RPC = "ws://127.0.0.1:8332" }, `unsupported scheme "ws"`, 0, false, 0},
		{"wallet path", func(c *Config) { c.RPC = "http://127.0.0.1:8332/wallet/x" }, "path", 0, false, 0},
		{"no credentials", func(c *Config) { c.RPCUser, c.RPCPassword = "", "" }, "rpc_user", 0, false, 0},
		{"both credentials", func(c *Config) { c.RPCCookie = cookie }, "exclusive", 0, false, 0},
		{"missing cookie", func(c *Config) { c.RPCUser, c.RPCCookie = "", "/nonexistent/.cookie" }, "rpc_cookie", 0, false, 0},
		{"bad start block", func(c *Config) { c.StartBlock = "-5" }, "start_block", 0, false, 0},
		{"no checkpoint store", func(c *Config) { c.Checkpoints = nil }, "checkpoint store", 0, false, 0},
		{"negative poll", func(c *Config) { c.PollInterval = -time.Second }, "poll interval", 0, false, 0},
		{"too much concurrency", func(c *Config) { c.BackfillConcurrency = 1000 }, "concurrency", 0, false, 0},
		{"too deep confirmations", func(c *Config) { c.Confirmations = 1000 }, "confirmations", 0, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.edit(&cfg)
			f, err := New(cfg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("New = %v, want error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer f.Close()
			if f.cfg.PollInterval != tc.poll || f.cfg.tls != tc.tls || f.cfg.startBlock != tc.height ||
				f.cfg.BackfillConcurrency != 4 || f.Params().Name == "" {
				t.Fatalf("parsed %+v", f.cfg)
			}
		})
	}
}
