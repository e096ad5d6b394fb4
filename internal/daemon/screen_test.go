package daemon_test

import (
	"context"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/internal/daemon/daemontest"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/screening"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/ethereum/go-ethereum/common"
)

// Screening on real geth --dev flows through the daemon's API: a payee
// paid straight from a DPRK-labelled address is severe (1 hop); one paid
// by an intermediary the DPRK address paid is two hops away, with the
// path and the carried amount (haircut, to the wei); a payee of clean
// funds is none; the labelled address itself is direct. The batch
// answers in order.
func TestScreenOnGeth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth")
	}
	g := testnodes.StartGeth(t)
	eth := testnodes.EtherAmount
	dprk, mid, funder := g.NewAccount(t, eth(50)), g.NewAccount(t, eth(1)), g.NewAccount(t, eth(10))
	victim := g.NewAccount(t, eth(20))
	thief := common.HexToAddress("0x000000000000000000000000000000000000dead")
	dprkAddr, midAddr := testnodes.AddressOf(dprk), testnodes.AddressOf(mid)
	payee1 := common.HexToAddress("0x00000000000000000000000000000000000a11ce")
	payee2 := common.HexToAddress("0x0000000000000000000000000000000000000b0b")
	clean := common.HexToAddress("0x000000000000000000000000000000000000c1ea")
	d, base := daemontest.Start(t, `
chains:
  ethereum:
    network: dev
    rpc: `+g.WS+`
    start_block: 0
    traces: "on"
    poll_interval: 100ms
index: { retain: 30d }
`, func(ctx context.Context, d *daemon.Daemon) {
		if _, err := d.Registry.Add(ctx, watchlists.Entry{Chain: chains.Ethereum, Address: strings.ToLower(dprkAddr.Hex()), Kind: watchlists.Stolen, Label: "DPRK (TraderTraitor)"}); err != nil {
			t.Fatal(err)
		}
	})
	key := daemontest.Key(t, d, apikey.RoleCompany, "payroll")
	g.SendETH(t, dprk, payee1, eth(5))
	g.SendETH(t, dprk, midAddr, eth(10))
	paid := g.SendETH(t, mid, payee2, eth(4))
	g.SendETH(t, funder, clean, eth(2))
	theft := g.SendETH(t, victim, thief, eth(6))
	head := g.BlockNumber(t)
	testnodes.WaitFor(t, 60*time.Second, "the daemon at the node's head", func() bool {
		return d.ChainStatus()[chains.Ethereum].Processed >= head
	})

	get := func(method, path, body string) (int, []byte) {
		t.Helper()
		return daemontest.Call(t, base, key, method, path, strings.NewReader(body))
	}
	screen := func(addr common.Address) screening.Result {
		t.Helper()
		st, b := get("GET", "/v1/screen/ethereum/"+addr.Hex(), "")
		if st != 200 {
			t.Fatalf("screen %s: %d %s", addr.Hex(), st, b)
		}
		var r screening.Result
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}

	r1 := screen(payee1)
	if r1.Risk != screening.Severe || len(r1.Direct) != 0 || len(r1.Indirect) != 1 {
		t.Fatalf("payee paid by the DPRK address: %+v", r1)
	}
	if e := r1.Indirect[0]; e.Category != screening.DPRK || e.Hops != 1 || e.Amount != eth(5).String() || e.Share != 1 ||
		len(e.Path) != 1 || e.Path[0].From != dprkAddr.Hex() || e.Path[0].To != payee1.Hex() {
		t.Fatalf("payee 1's exposure %+v", e)
	}

	r2 := screen(payee2)
	if r2.Risk != screening.High || len(r2.Indirect) != 1 {
		t.Fatalf("payee two hops away: %+v", r2)
	}
	e := r2.Indirect[0]
	// mid received 1 ETH (its funding) and 10 ETH from DPRK; of the 4 it
	// paid, 4 × 10/11 is DPRK's.
	carried := new(big.Int).Quo(new(big.Int).Mul(eth(4), eth(10)), eth(11))
	if e.Category != screening.DPRK || e.Hops != 2 || e.Amount != carried.String() || len(e.Path) != 2 ||
		e.Path[0].From != dprkAddr.Hex() || e.Path[0].To != midAddr.Hex() || e.Path[1].To != payee2.Hex() ||
		e.Path[1].Tx != strings.ToLower(paid.TxHash.Hex()) || e.Path[1].Amount != eth(4).String() {
		t.Fatalf("payee 2's exposure %+v (want %s carried)", e, carried)
	}

	if r := screen(clean); r.Risk != screening.None || len(r.Direct)+len(r.Indirect) != 0 {
		t.Fatalf("clean payee: %+v", r)
	}
	if r := screen(dprkAddr); r.Risk != screening.Severe || len(r.Direct) != 1 || r.Direct[0].Category != screening.DPRK {
		t.Fatalf("the DPRK address itself: %+v", r)
	}

	// An open incident's taint held is direct "stolen" exposure, with
	// its amount.
	if _, err := d.Incidents.Open(context.Background(), watchlists.Incident{Title: "victim drain", Owner: "payroll", Chain: chains.Ethereum, Seeds: []watchlists.Seed{{Tx: strings.ToLower(theft.TxHash.Hex())}}}); err != nil {
		t.Fatal(err)
	}
	var held screening.Result
	testnodes.WaitFor(t, 60*time.Second, "the thief's holding screened", func() bool {
		held = screen(thief)
		return len(held.Direct) > 0
	})
	if e := held.Direct[0]; held.Risk != screening.Severe || e.Category != screening.Stolen || e.Label != "victim drain" || e.Amount != eth(6).String() || e.Share != 1 {
		t.Fatalf("the thief: %+v", held)
	}
	// Another tenant sees the stolen exposure but not whose incident.
	other := daemontest.Key(t, d, apikey.RoleCompany, "other")
	code, raw := daemontest.Call(t, base, other, "GET", "/v1/screen/ethereum/"+thief.Hex(), nil)
	var seen screening.Result
	if code != 200 || json.Unmarshal(raw, &seen) != nil || len(seen.Direct) != 1 ||
		seen.Direct[0].Category != screening.Stolen || seen.Direct[0].Amount != eth(6).String() ||
		strings.Contains(string(raw), "victim drain") || seen.Direct[0].Incident != "" {
		t.Fatalf("another tenant's screen of the thief: %d %s", code, raw)
	}
	if held.Direct[0].Incident == "" {
		t.Fatalf("the owner's screen names no incident: %+v", held.Direct[0])
	}

	st, b := get("POST", "/v1/screen", `{"chain":"ethereum","addresses":["`+clean.Hex()+`","`+payee2.Hex()+`","`+payee1.Hex()+`"]}`)
	var batch struct{ Results []screening.Result }
	if st != 200 || json.Unmarshal(b, &batch) != nil || len(batch.Results) != 3 ||
		batch.Results[0].Risk != "none" || batch.Results[1].Risk != "high" || batch.Results[2].Risk != "severe" {
		t.Fatalf("batch: %d %s", st, b)
	}
	if st, b := get("POST", "/v1/screen", `{"chain":"ethereum","addresses":["`+clean.Hex()+`","0x12"]}`); st != 400 || !strings.Contains(string(b), `"addresses[1]"`) {
		t.Fatalf("batch with a bad address: %d %s", st, b)
	}
}
