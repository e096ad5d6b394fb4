package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/crypto"
)

// Issue 14, item 6, through the real binary on a real geth: the operator
// names an exchange's hot wallet. A customer's deposit address sweeps its
// whole balance there (short by the sweep's gas): chainhound learns it as
// the exchange's deposit address (watch ls shows it, with the sweep as
// its source). A thief then pays stolen ETH into it: the exchange's freeze
// alert comes on arrival, at the deposit address. An address that sends
// only part of its balance to the hot wallet is not learned.
func TestLearnsExchangeDepositAddresses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	victim := g.NewAccount(t, eth(100))
	deposit, other := g.NewAccount(t, eth(5)), g.NewAccount(t, eth(5))
	depAddr, otherAddr := crypto.PubkeyToAddress(deposit.PublicKey), crypto.PubkeyToAddress(other.PublicKey)
	thief := newEthKey(t)
	thiefAddr := crypto.PubkeyToAddress(thief.PublicKey)
	hot := crypto.PubkeyToAddress(newEthKey(t).PublicKey)

	d := newTestDaemon(t, fmt.Sprintf(`chains:
  ethereum:
    network: dev
    rpc: %s
    confirmations: 1
    start_block: latest
    poll_interval: 200ms
tracer:
  dust: { ethereum: "1000000000000000" }
`, g.WS))
	admin, exch := d.key(t, bin, "admin", "ops"), d.key(t, bin, "exchange", "exch")
	runBin(t, bin, 0, "--config", d.cfg, "watch", "add", "--chain", "ethereum", "--kind", "exchange",
		"--address", hot.Hex(), "--label", "Exch hot wallet", "--owner", "exch")
	startDaemon(t, bin, d.cfg, d.api)
	ex := subscribe(t, d.api, exch)
	call := func(method, path string, body any) (int, []byte) {
		t.Helper()
		return apiCall(t, d.api, admin, method, path, body)
	}
	learned := func(addr string) (source string, ok bool) {
		t.Helper()
		code, body := call("GET", "/v1/watchlist?chain=ethereum&kind=exchange", nil)
		if code != http.StatusOK {
			t.Fatalf("watchlist: %d %s", code, body)
		}
		var out struct {
			Entries []struct{ Address, Owner, Label, Source string } `json:"entries"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Entries {
			if strings.EqualFold(e.Address, addr) && e.Owner == "exch" && strings.Contains(e.Label, "learned") {
				return e.Source, true
			}
		}
		return "", false
	}

	// The sweep: the whole balance less the most its gas may cost.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	head, err := g.Client.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tip, err := g.Client.SuggestGasTipCap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	maxGas := new(big.Int).Mul(big.NewInt(21000), new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip))
	sweep := g.Transact(t, deposit, &hot, new(big.Int).Sub(g.Balance(t, depAddr), maxGas), nil, 21000)
	g.Transact(t, other, &hot, eth(2), nil, 21000)
	deadline := time.Now().Add(30 * time.Second)
	source, ok := learned(depAddr.Hex())
	for ; !ok && time.Now().Before(deadline); source, ok = learned(depAddr.Hex()) {
		time.Sleep(200 * time.Millisecond)
	}
	if !ok || !strings.Contains(source, sweep.TxHash.Hex()) {
		t.Fatalf("deposit address not learned from sweep %s (source %q)", sweep.TxHash.Hex(), source)
	}

	theft := g.SendETH(t, victim, thiefAddr, eth(20))
	if code, body := call("POST", "/v1/incidents", map[string]any{"chain": "ethereum", "seeds": []map[string]string{{"tx": theft.TxHash.Hex()}}}); code != http.StatusCreated {
		t.Fatalf("open incident: %d %s", code, body)
	}
	pay := g.SendETH(t, thief, depAddr, eth(10))
	a := ex.await(t, "ethereum", alerts.TypeExchangeDeposit)
	if a.Tx != pay.TxHash.Hex() || !strings.EqualFold(a.To, depAddr.Hex()) || a.Label == nil || a.Label.Owner != "exch" || a.Tainted != eth(10).String() {
		t.Fatalf("exchange alert %s; want the thief's payment into the learned deposit address %s, all tainted", a, depAddr.Hex())
	}
	if _, ok := learned(otherAddr.Hex()); ok {
		t.Fatalf("%s sent part of its balance to the hot wallet and was learned as a deposit address", otherAddr.Hex())
	}
}
