package daemon_test

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/internal/daemon/daemontest"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/ethereum/go-ethereum/common"
)

// TestLateIncidentOnFullNode: two daemons follow one real geth full node
// (the default gcmode: state of the last ~128 blocks only, checked). On
// one an incident is opened at once after its theft; on the other 300
// blocks later, where it catches up from the transfer index — blocks
// fetched with call traces and clean balances both need the pruned state
// — and raises the same exchange-deposit alert. Its clean balances are the
// node's own answers recorded while it still had them, to the wei;
// /v1/trace of the theft answers from the index too.
func TestLateIncidentOnFullNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth")
	}
	g := testnodes.StartGeth(t)
	eth := testnodes.EtherAmount
	exchange := "0x00000000000000000000000000000000000e8c4a"
	start := func() (*daemon.Daemon, string) {
		return daemontest.Start(t, `
chains:
  ethereum:
    network: dev
    rpc: `+g.WS+`
    start_block: latest
    traces: "on"
    poll_interval: 100ms
index: { retain: 30d }
`, func(ctx context.Context, d *daemon.Daemon) {
			if _, err := d.Registry.Add(ctx, watchlists.Entry{Chain: chains.Ethereum, Address: exchange, Kind: watchlists.Exchange, Label: "Dev Exchange"}); err != nil {
				t.Fatal(err)
			}
		})
	}
	early, _ := start()
	d, base := start()
	ctx := context.Background()
	caughtUp := func() {
		t.Helper()
		head := g.BlockNumber(t)
		for _, d := range []*daemon.Daemon{early, d} {
			testnodes.WaitFor(t, 60*time.Second, "the daemon at the node's head", func() bool {
				return d.ChainStatus()[chains.Ethereum].Processed >= head
			})
		}
	}
	caughtUp()

	// The thief and the mule hold clean ether of their own: the share of
	// taint they pass on depends on their balances before it came.
	victim, thief, mule := g.NewAccount(t, eth(100)), g.NewAccount(t, eth(30)), g.NewAccount(t, eth(3))
	thiefAddr, muleAddr := testnodes.AddressOf(thief), testnodes.AddressOf(mule)
	theft := g.SendETH(t, victim, thiefAddr, eth(50))
	pass := g.SendETH(t, thief, muleAddr, eth(20))
	g.SendETH(t, mule, common.HexToAddress(exchange), eth(8))
	theftTx := strings.ToLower(theft.TxHash.Hex())
	// The node's answers while it still has the state.
	nodeBal := func(addr string, n uint64) (*big.Int, error) {
		return g.Client.BalanceAt(ctx, common.HexToAddress(addr), new(big.Int).SetUint64(n))
	}
	thiefAt, muleAt := theft.BlockNumber.Uint64()-1, pass.BlockNumber.Uint64()-1
	wantThief, err := nodeBal(thiefAddr.Hex(), thiefAt)
	if err != nil {
		t.Fatal(err)
	}
	wantMule, err := nodeBal(muleAddr.Hex(), muleAt)
	if err != nil {
		t.Fatal(err)
	}
	caughtUp()

	deposits := func(d *daemon.Daemon, incident string) []alerts.Alert {
		as, err := d.Alerts.Since(ctx, 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		var out []alerts.Alert
		for _, a := range as {
			if a.Type == alerts.TypeExchangeDeposit && a.Incident == incident {
				out = append(out, a)
			}
		}
		return out
	}
	open := func(d *daemon.Daemon) string {
		t.Helper()
		inc, err := d.Incidents.Open(ctx, watchlists.Incident{Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Tx: theftTx}}})
		if err != nil {
			t.Fatal(err)
		}
		testnodes.WaitFor(t, 120*time.Second, "the catch-up of "+inc.ID, func() bool {
			s, ok := d.Engine().Summary(inc.ID)
			return ok && (s.CatchUp.Done || s.CatchUp.Error != "")
		})
		if s, _ := d.Engine().Summary(inc.ID); s.CatchUp.Error != "" {
			t.Fatalf("catch-up of %s: %s", inc.ID, s.CatchUp.Error)
		}
		testnodes.WaitFor(t, 10*time.Second, "the deposit alert of "+inc.ID, func() bool { return len(deposits(d, inc.ID)) > 0 })
		return inc.ID
	}
	earlyID := open(early)

	g.MineBlocks(t, 300)
	caughtUp()
	// The node really is a full node: the state at the theft is gone.
	if _, err := nodeBal(thiefAddr.Hex(), thiefAt); err == nil || !strings.Contains(err.Error(), "historical state") {
		t.Fatalf("balance at block %d 300 blocks later: %v; want the node to have pruned it", thiefAt, err)
	}

	late := open(d)
	a, b := deposits(early, earlyID), deposits(d, late)
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("deposit alerts: early %d, late %d; want one each", len(a), len(b))
	}
	if a[0].Tx != b[0].Tx || a[0].To != b[0].To || a[0].Amount != b[0].Amount || a[0].Tainted != b[0].Tainted || a[0].Share != b[0].Share {
		t.Fatalf("late alert differs:\nearly %+v\nlate  %+v", a[0], b[0])
	}
	// Haircut: the thief held 30 clean and 50 stolen, passed 20 (12.5
	// tainted) to the mule holding 3 clean, which deposited 8.
	pre := new(big.Int).Add(wantMule, eth(20))
	want := new(big.Int).Div(new(big.Int).Mul(eth(8), new(big.Int).Div(new(big.Int).Mul(eth(20), eth(50)), new(big.Int).Add(wantThief, eth(50)))), pre)
	if b[0].Tainted != want.String() {
		t.Fatalf("tainted %s, want %s (clean balances thief %s, mule %s)", b[0].Tainted, want, wantThief, wantMule)
	}

	// The index's clean balances are the node's own, to the wei.
	br := d.Engine().BalanceReader(chains.Ethereum, nil)
	for _, c := range []struct {
		addr string
		at   uint64
		want *big.Int
	}{{thiefAddr.Hex(), thiefAt, wantThief}, {muleAddr.Hex(), muleAt, wantMule}} {
		got, err := br.BalanceAt(ctx, strings.ToLower(c.addr), chains.ETH, c.at)
		if err != nil || got.Cmp(c.want) != 0 {
			t.Fatalf("balance of %s at %d from the index: %v, %v; the node said %s", c.addr, c.at, got, err, c.want)
		}
	}

	// /v1/trace of the theft, 300 blocks back, answers from the index.
	admin := daemontest.Key(t, d, apikey.RoleAdmin, "ops")
	code, body := daemontest.Call(t, base, admin, http.MethodGet, "/v1/trace/ethereum/"+theftTx, nil)
	var fg tracer.FlowGraph
	if code != http.StatusOK || json.Unmarshal(body, &fg) != nil {
		t.Fatalf("trace: status %d: %s", code, body)
	}
	if len(fg.Findings) != 1 || fg.Findings[0].Type != tracer.ExchangeDeposit || fg.Findings[0].Tainted.Big().String() != want.String() {
		t.Fatalf("trace findings %+v, want one deposit of %s tainted", fg.Findings, want)
	}
}
