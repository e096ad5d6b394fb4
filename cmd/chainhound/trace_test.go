package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
)

// TestTraceCLI: `chainhound trace` on a real geth --dev: a theft, a split
// to three addresses and a deposit to an address registered as an
// exchange in --data-dir's watchlists. JSON, table and DOT show exactly
// those hops with exact amounts; bad flags exit 2 naming the flag; an
// unknown tx or a node that does not answer exit 1.
func TestTraceCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth")
	}
	g := testnodes.StartGeth(t)
	th := g.PlayTheft(t)
	theft, dep, exchange, split, want := th.Tx, th.Deposit, th.Exchange, th.Split, th.Edges

	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "chainhound.yaml")
	writeConfig := func(path, rpc string) {
		if err := os.WriteFile(path, []byte("chains:\n  ethereum:\n    network: dev\n    rpc: "+rpc+"\n    traces: \"off\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig(cfg, g.WS)
	if _, msg, code := runCLI(t, "--data-dir", dir, "watch", "add", "--chain", "ethereum", "--kind", "exchange", "--address", exchange.Hex(), "--label", "Dev Exchange"); code != 0 {
		t.Fatalf("watch add: %d %s", code, msg)
	}
	trace := func(args ...string) (string, string, int) {
		return runCLI(t, append([]string{"--config", cfg, "--data-dir", dir, "trace"}, args...)...)
	}

	t.Run("json", func(t *testing.T) {
		out, msg, code := trace("--chain", "ethereum", "--format", "json", theft)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, msg)
		}
		var fg tracer.FlowGraph
		if err := json.Unmarshal([]byte(out), &fg); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if len(fg.Edges) != len(want) {
			t.Fatalf("%d edges, want %d: %s", len(fg.Edges), len(want), out)
		}
		for i, w := range want {
			e := fg.Edges[i]
			if e.Tx != w.Tx || e.From != w.From || e.To != w.To || e.Amount.Big().Cmp(w.Wei) != 0 || e.Hop != w.Hop {
				t.Fatalf("edge %d: %+v, want %+v", i, e, w)
			}
		}
		if len(fg.Findings) != 1 || fg.Findings[0].Type != tracer.ExchangeDeposit || fg.Findings[0].Label == nil || fg.Findings[0].Label.Label != "Dev Exchange" {
			t.Fatalf("findings: %+v", fg.Findings)
		}
	})
	t.Run("table", func(t *testing.T) {
		out, msg, code := trace("--chain", "ethereum", "--format", "table", theft)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, msg)
		}
		for _, s := range []string{"stolen: 50 ETH", dep, "taint.exchange_deposit", "exchange: Dev Exchange", split[2].Hex() + "  20 ETH"} {
			if !strings.Contains(out, s) {
				t.Fatalf("table lacks %q:\n%s", s, out)
			}
		}
	})
	t.Run("dot", func(t *testing.T) {
		out, msg, code := trace("--chain", "ethereum", "--format", "dot", "--hops", "3", "--policy", "poison", theft)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, msg)
		}
		for _, w := range want {
			s := fmt.Sprintf(`"%s" -> "%s" [label="hop %d: %s ETH\ntx `, w.From, w.To, w.Hop, tracer.FormatUnits(w.Wei, 18))
			if !strings.Contains(out, s) {
				t.Fatalf("DOT lacks %s:\n%s", s, out)
			}
		}
	})
	t.Run("bad usage", func(t *testing.T) {
		for name, tc := range map[string]struct {
			args []string
			flag string
		}{
			"no chain":      {[]string{theft}, "chain"},
			"bad chain":     {[]string{"--chain", "doge", theft}, "--chain"},
			"no tx":         {[]string{"--chain", "ethereum"}, "TX"},
			"bad tx":        {[]string{"--chain", "ethereum", "0x1234"}, "TX"},
			"bitcoin tx":    {[]string{"--chain", "bitcoin", theft}, "TX"},
			"hops zero":     {[]string{"--chain", "ethereum", "--hops", "0", theft}, "--hops"},
			"hops too many": {[]string{"--chain", "ethereum", "--hops", "65", theft}, "--hops"},
			"bad policy":    {[]string{"--chain", "ethereum", "--policy", "lifo", theft}, "--policy"},
			"bad format":    {[]string{"--chain", "ethereum", "--format", "svg", theft}, "--format"},
			"zero blocks":   {[]string{"--chain", "ethereum", "--blocks", "0", theft}, "--blocks"},
			"no node":       {[]string{"--chain", "bitcoin", strings.TrimPrefix(theft, "0x")}, "--config"},
		} {
			t.Run(name, func(t *testing.T) {
				out, msg, code := trace(tc.args...)
				if code != 2 || !strings.Contains(msg, tc.flag) || out != "" {
					t.Fatalf("exit %d, stderr %q, stdout %q; want 2 naming %s", code, msg, out, tc.flag)
				}
			})
		}
	})
	t.Run("unknown tx", func(t *testing.T) {
		unknown := "0x" + strings.Repeat("ab", 32)
		_, msg, code := trace("--chain", "ethereum", unknown)
		if code != 1 || !strings.Contains(msg, unknown) || !strings.Contains(msg, "not in a block") {
			t.Fatalf("exit %d: %s", code, msg)
		}
	})
	t.Run("node down", func(t *testing.T) {
		down := filepath.Join(t.TempDir(), "down.yaml")
		writeConfig(down, fmt.Sprintf("ws://127.0.0.1:%d", testnodes.FreePort(t)))
		_, msg, code := runCLI(t, "--config", down, "--data-dir", dir, "trace", "--chain", "ethereum", theft)
		if code != 1 || !strings.Contains(msg, "does not answer") {
			t.Fatalf("exit %d: %s", code, msg)
		}
	})
	t.Run("data dir held by a daemon", func(t *testing.T) {
		s, err := pebble.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		out, msg, code := trace("--chain", "ethereum", "--format", "json", theft)
		if code != 0 || !strings.Contains(msg, "shipped labels only") {
			t.Fatalf("exit %d, stderr %q", code, msg)
		}
		var fg tracer.FlowGraph
		if err := json.Unmarshal([]byte(out), &fg); err != nil {
			t.Fatal(err)
		}
		// Without the data directory's watchlists the exchange is unknown:
		// the taint goes on past it as if it were a person.
		if len(fg.Findings) != 0 || len(fg.Edges) != len(want) {
			t.Fatalf("without the watchlists: %d findings, %d edges", len(fg.Findings), len(fg.Edges))
		}
	})
}
