package daemon_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/internal/daemon/daemontest"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
)

// traceConfig follows g from its head, without traces.
func traceConfig(g *testnodes.Geth) string {
	return `
chains:
  ethereum:
    network: dev
    rpc: ` + g.WS + `
    start_block: latest
    traces: "off"
    poll_interval: 100ms
`
}

// TestTraceEndpoint: GET /v1/trace through the assembled daemon on a real
// geth --dev: a theft, a split to three addresses and a deposit to an
// address registered as an exchange give 200 with exactly those edges
// (JSON and DOT); an exchange key gets 403 and an unknown tx 404.
func TestTraceEndpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth")
	}
	g := testnodes.StartGeth(t)
	th := g.PlayTheft(t)
	theft, exchange, want := th.Tx, th.Exchange, th.Edges

	d, base := daemontest.Start(t, traceConfig(g), func(ctx context.Context, d *daemon.Daemon) {
		if _, err := d.Registry.Add(ctx, watchlists.Entry{Chain: chains.Ethereum, Address: exchange.Hex(), Kind: watchlists.Exchange, Label: "Dev Exchange"}); err != nil {
			t.Fatal(err)
		}
		// A tenant's treasury is not shown to API callers.
		if _, err := d.Registry.Add(ctx, watchlists.Entry{Chain: chains.Ethereum, Address: want[0].From, Kind: watchlists.Treasury, Owner: "acme", Label: "acme cold wallet", Note: "private"}); err != nil {
			t.Fatal(err)
		}
	})
	admin, exch := daemontest.Key(t, d, apikey.RoleAdmin, "ops"), daemontest.Key(t, d, apikey.RoleExchange, "ex1")

	get := func(secret, path string) (int, string, string) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}

	t.Run("json", func(t *testing.T) {
		code, _, body := get(admin, "/v1/trace/ethereum/"+theft+"?hops=5&policy=haircut")
		if code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
		var fg tracer.FlowGraph
		if err := json.Unmarshal([]byte(body), &fg); err != nil {
			t.Fatal(err)
		}
		if len(fg.Edges) != len(want) {
			t.Fatalf("%d edges, want %d: %s", len(fg.Edges), len(want), body)
		}
		for i, w := range want {
			e := fg.Edges[i]
			if e.Tx != w.Tx || e.From != w.From || e.To != w.To || e.Amount.Big().Cmp(w.Wei) != 0 || e.Hop != w.Hop {
				t.Fatalf("edge %d: %+v, want %+v", i, e, w)
			}
		}
		if strings.Contains(body, "acme") || strings.Contains(body, "private") {
			t.Fatalf("a tenant's treasury entry shows: %s", body)
		}
		if !strings.Contains(body, `"amount":"8000000000000000000"`) {
			t.Fatalf("amounts are not decimal strings: %s", body)
		}
		if len(fg.Findings) != 1 || fg.Findings[0].Type != tracer.ExchangeDeposit || fg.Findings[0].Tainted.Big().Cmp(testnodes.EtherAmount(8)) != 0 {
			t.Fatalf("findings: %+v", fg.Findings)
		}
	})
	t.Run("dot", func(t *testing.T) {
		code, ct, body := get(admin, "/v1/trace/ethereum/"+theft+"?format=dot")
		if code != http.StatusOK || !strings.HasPrefix(ct, "text/vnd.graphviz") {
			t.Fatalf("status %d, content type %q: %s", code, ct, body)
		}
		for _, w := range want {
			s := `"` + w.From + `" -> "` + w.To + `" [label="hop ` + string(rune('0'+w.Hop)) + `: ` + tracer.FormatUnits(w.Wei, 18) + ` ETH`
			if !strings.Contains(body, s) {
				t.Fatalf("DOT lacks %s:\n%s", s, body)
			}
		}
	})
	t.Run("exchange key forbidden", func(t *testing.T) {
		if code, _, body := get(exch, "/v1/trace/ethereum/"+theft); code != http.StatusForbidden {
			t.Fatalf("status %d: %s", code, body)
		}
	})
	t.Run("unknown tx", func(t *testing.T) {
		if code, _, body := get(admin, "/v1/trace/ethereum/0x"+strings.Repeat("cd", 32)); code != http.StatusNotFound || !strings.Contains(body, `"field":"tx"`) {
			t.Fatalf("status %d: %s", code, body)
		}
	})
	t.Run("chain not followed", func(t *testing.T) {
		if code, _, body := get(admin, "/v1/trace/bitcoin/"+strings.Repeat("cd", 32)); code != http.StatusNotImplemented {
			t.Fatalf("status %d: %s", code, body)
		}
	})
}

// TestTraceNodeLimit: a real geth --dev keeps the state of only its last
// 128 or so blocks (the default gcmode, full). Tracing a theft 140 blocks
// back needs the balances at its block, which the node has pruned
// ("historical state … is not available"): the answer is 422 node_limit
// naming the block and the archive node it needs, not a 500.
func TestTraceNodeLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth")
	}
	g := testnodes.StartGeth(t)
	th := g.PlayTheft(t)
	g.MineBlocks(t, 140)

	d, base := daemontest.Start(t, traceConfig(g), nil)
	admin := daemontest.Key(t, d, apikey.RoleAdmin, "ops")
	code, b := daemontest.Call(t, base, admin, http.MethodGet, "/v1/trace/ethereum/"+th.Tx, nil)
	var body struct {
		Error struct{ Code, Message, Field string } `json:"error"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("status %d: %s", code, b)
	}
	if code != http.StatusUnprocessableEntity || body.Error.Code != "node_limit" || body.Error.Field != "tx" ||
		!strings.Contains(body.Error.Message, "archive node") || !strings.Contains(body.Error.Message, "historical state") {
		t.Fatalf("status %d: %s", code, b)
	}
}
