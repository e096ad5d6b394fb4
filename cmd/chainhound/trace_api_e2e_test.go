package main

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/tracer"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestTraceThroughDaemon (issue 16, item 5; issue 17's api.listen from
// --config): `trace --api-key` has the
// running daemon trace the transaction, with the daemon's watchlist: an
// exchange entry made through the API labels the deposit the trace finds.
// The same trace offline, its data directory held by the daemon, reads
// the shipped labels only and finds no exchange there.
func TestTraceThroughDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	victim := g.NewAccount(t, eth(100))
	thief := newEthKey(t)
	exchange := crypto.PubkeyToAddress(newEthKey(t).PublicKey)

	d := newTestDaemon(t, "chains:\n"+devEthereum(g.WS, 1))
	api := d.api
	inv, admin := d.key(t, bin, "investigator", "desk"), d.key(t, bin, "admin", "ops")
	startDaemon(t, bin, d.cfg, api)
	runBin(t, bin, 0, "watch", "add", "--api", api, "--api-key", admin, "--chain", "ethereum", "--kind", "exchange",
		"--address", exchange.Hex(), "--label", "Desk exchange", "--owner", "exch")

	// The API client commands find the daemon --config describes (its
	// api.listen, not the default 127.0.0.1:8080).
	if ls := runBin(t, bin, 0, "watch", "ls", "--config", d.cfg, "--api-key", admin, "--kind", "exchange"); !strings.Contains(ls, "Desk exchange") {
		t.Fatalf("watch ls --config without --api:\n%s\nwant the daemon's entry", ls)
	}

	theft := g.SendETH(t, victim, crypto.PubkeyToAddress(thief.PublicKey), eth(10))
	dep := g.SendETH(t, thief, exchange, eth(4))
	g.MineBlocks(t, 1)

	trace := func(args ...string) tracer.FlowGraph {
		t.Helper()
		out := runBin(t, bin, 0, append([]string{"trace", "--chain", "ethereum", theft.TxHash.Hex(), "--format", "json", "--blocks", "20"}, args...)...)
		var fg tracer.FlowGraph
		if err := json.Unmarshal([]byte(out), &fg); err != nil {
			t.Fatalf("trace %v: %v\n%s", args, err, out)
		}
		return fg
	}
	deposits := func(fg tracer.FlowGraph) []tracer.FlowFinding {
		var out []tracer.FlowFinding
		for _, f := range fg.Findings {
			if f.Type == tracer.ExchangeDeposit {
				out = append(out, f)
			}
		}
		return out
	}
	viaDaemon := trace("--api", api, "--api-key", inv)
	if ds := deposits(viaDaemon); len(ds) != 1 || ds[0].Tx != dep.TxHash.Hex() || !strings.EqualFold(ds[0].To, exchange.Hex()) {
		t.Fatalf("trace through the daemon: exchange deposits %+v; want the 4 ETH at %s", ds, exchange.Hex())
	}
	offline := trace("--config", d.cfg)
	if ds := deposits(offline); len(ds) != 0 {
		t.Fatalf("offline trace with the data directory held: exchange deposits %+v; want none (it cannot read the daemon's watchlist)", ds)
	}
}
