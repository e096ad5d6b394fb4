package main

import (
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestTornadoPoolHistory (issue 14, item 2): chainhound starts after a
// pool has deposits, on a real geth. Its linking heuristics must count
// them: a clean deposit made before the daemon started at the thief's gas
// price makes that gas price not unique (no unique_gas_price link, the
// pool's share instead), and a withdrawal to a clean depositor of before
// is that depositor's own (no taint, no alert). The history is loaded in
// the background from the pool's Deposit logs; chainhound_mixer_history_*
// say when it is.
func TestTornadoPoolHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	denom := eth(10)
	gasPrice := big.NewInt(3_000_000_007) // above the dev chain's base fee, and odd
	victim := g.NewAccount(t, eth(100))
	pool := g.DeployTornadoPool(t, victim, denom)
	note := func(i int) [32]byte { return common.BigToHash(big.NewInt(int64(i))) }

	// Before chainhound: three clean deposits, one at the gas price the
	// thief will use.
	early := g.NewAccount(t, eth(11))
	g.TornadoDepositAtGasPrice(t, pool, early, note(100), denom, gasPrice)
	clean := g.NewAccount(t, eth(12))
	cleanAddr := crypto.PubkeyToAddress(clean.PublicKey)
	g.TornadoDeposit(t, pool, clean, note(101), denom)
	g.TornadoDeposit(t, pool, g.NewAccount(t, eth(11)), note(102), denom)

	d := newTestDaemon(t, "chains:\n"+devEthereum(g.WS, 1)+`tracer:
  dust: { ethereum: "1000000000000000" }
`)
	api := d.api
	admin := d.key(t, bin, "admin", "ops")
	runBin(t, bin, 0, "--config", d.cfg, "watch", "add", "--chain", "ethereum", "--kind", "mixer", "--protocol", "tornado",
		"--address", pool.Hex(), "--label", "Tornado.Cash: 10 ETH (test)", "--owner", "ops")
	startDaemon(t, bin, d.cfg, api)
	ops := subscribe(t, api, admin)

	thief := newEthKey(t) // all it has is stolen: its deposit is all taint
	thiefAddr := crypto.PubkeyToAddress(thief.PublicKey)
	theft := g.SendETH(t, victim, thiefAddr, eth(25))
	body := map[string]any{"title": "test theft", "chain": "ethereum", "seeds": []map[string]string{{"tx": theft.TxHash.Hex()}}}
	if code, rb := apiCall(t, api, admin, "POST", "/v1/incidents", body); code != http.StatusCreated {
		t.Fatalf("open incident: %d %s", code, rb)
	}
	g.MineBlocks(t, 2) // the incident is live before the deposit
	g.TornadoDepositAtGasPrice(t, pool, thief, note(1), denom, gasPrice)
	if a := ops.await(t, "ethereum", alerts.TypeMixerDeposit); !strings.EqualFold(a.To, pool.Hex()) {
		t.Fatalf("mixer deposit %s, want into %s", a, pool.Hex())
	}

	// The pool is seen: its history (three deposits) loads.
	metric := func(name string) string {
		code, rb := apiCall(t, api, admin, "GET", "/metrics", nil)
		if code != http.StatusOK {
			t.Fatalf("/metrics: %d", code)
		}
		m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(string(rb))
		if m == nil {
			t.Fatalf("/metrics has no %s", name)
		}
		return m[1]
	}
	for deadline := time.Now().Add(30 * time.Second); metric("chainhound_mixer_history_loaded_total") != "1"; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("pool history not loaded within 30s (pending %s)", metric("chainhound_mixer_history_pending"))
		}
	}
	if p := metric("chainhound_mixer_history_pending"); p != "0" {
		t.Fatalf("chainhound_mixer_history_pending %s after loading, want 0", p)
	}

	// The clean depositor of before takes its note back to itself: its own
	// deposit, no taint. Then a fresh address withdraws, itself, at the
	// thief's gas price: two deposits were made at it, so no unique gas
	// price link — the pool's share, 1 tainted of 3 unmatched.
	g.TornadoWithdraw(t, pool, clean, cleanAddr, note(1001), common.Address{}, new(big.Int))
	fresh := g.NewAccount(t, eth(1))
	freshAddr := crypto.PubkeyToAddress(fresh.PublicKey)
	w := g.TornadoWithdrawAtGasPrice(t, pool, fresh, freshAddr, note(1002), common.Address{}, new(big.Int), gasPrice)
	a := ops.await(t, "ethereum", alerts.TypeMixerWithdrawal)
	if !strings.EqualFold(a.To, freshAddr.Hex()) || a.Tx != w.TxHash.Hex() {
		t.Fatalf("first mixer withdrawal alert %s; want the fresh address's %s (the clean depositor's own withdrawal carries no taint)", a, w.TxHash.Hex())
	}
	if len(a.Heuristics) != 0 || a.Confidence < 0.333 || a.Confidence > 0.334 || a.Provisional {
		t.Fatalf("withdrawal at the thief's gas price: heuristics %v confidence %v provisional %v; want none, 1/3, not provisional", a.Heuristics, a.Confidence, a.Provisional)
	}
	if want := new(big.Int).Div(denom, big.NewInt(3)); a.Tainted != want.String() {
		t.Fatalf("withdrawal tainted %s, want a third of a note, %s", a.Tainted, want)
	}
}
