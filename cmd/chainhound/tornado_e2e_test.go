package main

import (
	"encoding/json"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// Issue 14, Tornado Cash, through the real binary on a real geth: a pool
// contract emitting the real pool's events (the operator labels it a
// tornado mixer), five clean deposits, a theft, and the thief's depositor
// paying two notes in with all it was given. A relayer withdraws one note
// to the depositor (address match): the withdrawal carries 95% of a
// note's taint and the depositor's next exchange deposit is alerted with
// the path through the pool. A relayed withdrawal to a fresh address is
// reported with the pool's share, below the confidence floor, and its
// deposit at the exchange raises nothing.
func TestTornadoWithdrawalReachesExchange(t *testing.T) { tornadoRun(t, false) }

// TestTornadoLateIncident: the same laundering, all of it before the
// theft is declared; the incident's catch-up finds the pool deposits, the
// address-matched withdrawal and the exchange deposit after it.
func TestTornadoLateIncident(t *testing.T) { tornadoRun(t, true) }

func tornadoRun(t *testing.T, late bool) {
	if testing.Short() {
		t.Skip("starts geth and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	denom := eth(10)
	victim, relayer := g.NewAccount(t, eth(100)), g.NewAccount(t, eth(1))
	thief, fresh := newEthKey(t), newEthKey(t)
	thiefAddr, freshAddr := crypto.PubkeyToAddress(thief.PublicKey), crypto.PubkeyToAddress(fresh.PublicKey)
	exchange := crypto.PubkeyToAddress(newEthKey(t).PublicKey)
	pool := g.DeployTornadoPool(t, victim, denom)

	d := newTestDaemon(t, "chains:\n"+devEthereum(g.WS, 2)+`tracer:
  dust: { ethereum: "1000000000000000" }
`)
	api := d.api
	admin, exch := d.key(t, bin, "admin", "ops"), d.key(t, bin, "exchange", "exch")
	runBin(t, bin, 0, "--config", d.cfg, "watch", "add", "--chain", "ethereum", "--kind", "mixer", "--protocol", "tornado",
		"--address", pool.Hex(), "--label", "Tornado.Cash: 10 ETH (test)", "--owner", "ops")
	runBin(t, bin, 0, "--config", d.cfg, "watch", "add", "--chain", "ethereum", "--kind", "exchange",
		"--address", exchange.Hex(), "--label", "Exchange deposit", "--owner", "exch")
	startDaemon(t, bin, d.cfg, api)
	ops, ex := subscribe(t, api, admin), subscribe(t, api, exch)

	note := func(i int) [32]byte { return common.BigToHash(big.NewInt(int64(i))) }
	for i := range 5 {
		g.TornadoDeposit(t, pool, g.NewAccount(t, eth(11)), note(100+i), denom)
	}
	theft := g.SendETH(t, victim, thiefAddr, eth(25))
	openIncident := func() {
		t.Helper()
		body := map[string]any{"title": "test theft", "chain": "ethereum", "seeds": []map[string]string{{"tx": theft.TxHash.Hex()}}}
		if code, rb := apiCall(t, api, admin, "POST", "/v1/incidents", body); code != http.StatusCreated {
			t.Fatalf("open incident: %d %s", code, rb)
		}
	}
	if !late {
		openIncident()
	}

	// The depositor gets 20 ETH and a little gas, and pays it all in: what
	// is left after gas is dust, so its holding is gone when the pool pays
	// it back.
	depositor := newEthKey(t)
	dAddr := crypto.PubkeyToAddress(depositor.PublicKey)
	g.SendETH(t, thief, dAddr, new(big.Int).Add(eth(20), big.NewInt(900_000_000_000_000)))
	g.TornadoDeposit(t, pool, depositor, note(1), denom)
	g.TornadoDeposit(t, pool, depositor, note(2), denom)
	relayerAddr := crypto.PubkeyToAddress(relayer.PublicKey)
	fee := new(big.Int).Div(eth(1), big.NewInt(10))
	var w, dep *types.Receipt
	launder := func() {
		// A relayer takes a note out to the depositor, who pays 8 ETH in at
		// the exchange.
		w = g.TornadoWithdraw(t, pool, relayer, dAddr, note(1001), relayerAddr, fee)
		dep = g.SendETH(t, depositor, exchange, eth(8))
	}
	if late {
		launder()
		openIncident()
	}
	for range 2 {
		if d := ops.await(t, "ethereum", alerts.TypeMixerDeposit); !strings.EqualFold(d.To, pool.Hex()) || d.Tainted != denom.String() {
			t.Fatalf("mixer deposit to %s tainted %s, want %s all of %s", d.To, d.Tainted, pool.Hex(), denom)
		}
	}

	// A relayer takes a note out to the depositor: an address match. The
	// depositor gets 9.9 ETH, 95% of it tainted; the relayer 0.1 ETH.
	if !late {
		launder()
	}
	payout := new(big.Int).Sub(denom, fee)
	wa := ops.await(t, "ethereum", alerts.TypeMixerWithdrawal)
	wantTainted := new(big.Int).Div(new(big.Int).Mul(payout, big.NewInt(95)), big.NewInt(100))
	if wa.Tx != w.TxHash.Hex() || !strings.EqualFold(wa.To, dAddr.Hex()) || wa.Amount != payout.String() ||
		wa.Tainted != wantTainted.String() || wa.Confidence != 0.95 || !slices.Equal(wa.Heuristics, []string{"address_match"}) {
		t.Fatalf("address-match withdrawal: %s; want %s to %s tainted %s at 0.95 by address_match", wa, payout, dAddr.Hex(), wantTainted)
	}
	da := ex.await(t, "ethereum", alerts.TypeExchangeDeposit)
	if da.Tx != dep.TxHash.Hex() || da.Amount != eth(8).String() || da.Confidence != 0.95 {
		t.Fatalf("exchange deposit after the pool: %s; want %s of 8 ETH at 0.95", da, dep.TxHash.Hex())
	}
	// 8 ETH of a 9.9 ETH balance 95% tainted (the dust left before the
	// payout and the gas move it by less than 0.001 ETH).
	if got, _ := new(big.Int).SetString(da.Tainted, 10); got == nil || new(big.Int).Sub(got, eth(76).Div(eth(76), big.NewInt(10))).CmpAbs(big.NewInt(1e15)) > 0 {
		t.Fatalf("exchange deposit tainted %s, want about 7.6 ETH", da.Tainted)
	}
	if len(da.Path) != 5 || da.Path[0].Tx != theft.TxHash.Hex() {
		t.Fatalf("exchange deposit path %+v, want theft, hop, pool deposit, withdrawal, deposit", da.Path)
	}
	if out := da.Path[3]; out.Via == nil || out.Via.Kind != "mixer" || out.Via.Protocol != "tornado" || out.Confidence != 0.95 || out.Tx != w.TxHash.Hex() {
		t.Fatalf("path hop 4 %+v (via %+v), want the withdrawal out of the tornado pool at 0.95", out, out.Via)
	}

	if late {
		// An investigator's trace of the theft crosses the pool too.
		code, rb := apiCall(t, api, admin, "GET", "/v1/trace/ethereum/"+theft.TxHash.Hex()+"?format=json", nil)
		var graph struct {
			Edges []struct{ Tx, From, To string } `json:"edges"`
		}
		if err := json.Unmarshal(rb, &graph); err != nil || code != http.StatusOK {
			t.Fatalf("trace: %d %v", code, err)
		}
		crossed := false
		for _, e := range graph.Edges {
			crossed = crossed || e.Tx == w.TxHash.Hex() && strings.EqualFold(e.From, pool.Hex()) && strings.EqualFold(e.To, dAddr.Hex())
		}
		if !crossed {
			t.Fatalf("the trace has no edge out of the pool in %s: %+v", w.TxHash.Hex(), graph.Edges)
		}
		return
	}

	// A relayed withdrawal to a fresh address: six unmatched deposits, the
	// thief's second (and 5% of its first) among them — below the floor.
	g.TornadoWithdraw(t, pool, relayer, freshAddr, note(1002), relayerAddr, eth(1))
	ra := ops.await(t, "ethereum", alerts.TypeMixerWithdrawal)
	if !strings.EqualFold(ra.To, freshAddr.Hex()) || ra.Amount != eth(9).String() || len(ra.Heuristics) != 0 ||
		ra.Confidence < 0.17 || ra.Confidence > 0.18 {
		t.Fatalf("relayed withdrawal: %s; want 9 ETH to %s at (1 + 0.05)/6 = 0.175", ra, freshAddr.Hex())
	}
	g.SendETH(t, fresh, exchange, eth(5))
	last := g.SendETH(t, depositor, exchange, eth(1))
	la := ex.await(t, "ethereum", alerts.TypeExchangeDeposit)
	if la.Tx != last.TxHash.Hex() {
		t.Fatalf("the exchange's next alert is %s, want the depositor's deposit %s (the fresh address carries no taint past the floor)", la, last.TxHash.Hex())
	}
}
