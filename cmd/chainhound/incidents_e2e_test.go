package main

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestOneAlertPerDepositOnGeth (issue 16, items 3–4), through the binary on
// a real geth: a company opens two incidents over one theft — the second
// is answered with a warning naming the first; both say they are live;
// an incident for a transaction that is not on the chain is refused at
// once (404 naming the hash) and not stored; the thief's 5 ETH deposit at
// the exchange raises ONE alert for the exchange and the company, listing
// both incidents, tainted 5 ETH (not 10).
func TestOneAlertPerDepositOnGeth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	victim := g.NewAccount(t, eth(100))
	thief := newEthKey(t)
	thiefAddr := crypto.PubkeyToAddress(thief.PublicKey)
	exchange := crypto.PubkeyToAddress(newEthKey(t).PublicKey)

	d := newTestDaemon(t, fmt.Sprintf(`chains:
  ethereum:
    network: dev
    rpc: %s
    confirmations: 1
    start_block: latest
    traces: auto
    poll_interval: 200ms
`, g.WS))
	api := d.api
	acme, exch := d.key(t, bin, "company", "acme"), d.key(t, bin, "exchange", "exch")
	runBin(t, bin, 0, "--config", d.cfg, "watch", "add", "--chain", "ethereum", "--kind", "exchange",
		"--address", exchange.Hex(), "--label", "Exchange deposit", "--owner", "exch")
	startDaemon(t, bin, d.cfg, api)
	co, ex := subscribe(t, api, acme), subscribe(t, api, exch)

	theft := g.SendETH(t, victim, thiefAddr, eth(25))
	g.MineBlocks(t, 1)
	type opened struct {
		ID       string   `json:"id"`
		Warnings []string `json:"warnings"`
		Tracking struct {
			State string `json:"state"`
		} `json:"tracking"`
	}
	open := func(tx string) (int, opened, string) {
		body := map[string]any{"title": "theft", "chain": "ethereum", "seeds": []map[string]string{{"tx": tx}}}
		code, rb := apiCall(t, api, acme, "POST", "/v1/incidents", body)
		var o opened
		_ = json.Unmarshal(rb, &o)
		return code, o, string(rb)
	}
	code, a, rb := open(theft.TxHash.Hex())
	if code != http.StatusCreated || len(a.Warnings) != 0 {
		t.Fatalf("first incident: %d %s", code, rb)
	}
	code, b, rb := open(theft.TxHash.Hex())
	if code != http.StatusCreated || len(b.Warnings) != 1 || !strings.Contains(b.Warnings[0], a.ID) {
		t.Fatalf("second incident over the same theft: %d %s; want a warning naming %s", code, rb, a.ID)
	}
	missing := "0x" + strings.Repeat("ab", 32)
	if code, _, rb := open(missing); code != http.StatusNotFound || !strings.Contains(rb, missing) {
		t.Fatalf("incident for a transaction not on the chain: %d %s; want 404 naming it", code, rb)
	}
	code, lb := apiCall(t, api, acme, "GET", "/v1/incidents", nil)
	var list struct {
		Incidents []opened `json:"incidents"`
	}
	if err := json.Unmarshal(lb, &list); err != nil || code != http.StatusOK || len(list.Incidents) != 2 {
		t.Fatalf("incidents after the refusal: %d %s; want the two", code, lb)
	}
	for _, inc := range list.Incidents {
		if inc.Tracking.State != "live" && inc.Tracking.State != "catching_up" {
			t.Fatalf("incident %s tracking %q; want live (or still catching up its one block)", inc.ID, inc.Tracking.State)
		}
	}

	g.MineBlocks(t, 2) // both incidents join the live stream
	dep := g.SendETH(t, thief, exchange, eth(5))
	for _, s := range []*subscriber{ex, co} {
		al := s.await(t, "ethereum", alerts.TypeExchangeDeposit)
		if al.Tx != dep.TxHash.Hex() || al.Tainted != eth(5).String() || len(al.Incidents) != 2 ||
			!strings.Contains(strings.Join(al.Incidents, ","), a.ID) || !strings.Contains(strings.Join(al.Incidents, ","), b.ID) {
			t.Fatalf("deposit alert %s; want one listing both incidents, 5 ETH tainted", al)
		}
	}
	// The next deposit's alert comes next: the first raised only one.
	dep2 := g.SendETH(t, thief, exchange, eth(1))
	if al := ex.await(t, "ethereum", alerts.TypeExchangeDeposit); al.Tx != dep2.TxHash.Hex() {
		t.Fatalf("the exchange's next deposit alert is %s, want the second deposit %s (one alert per deposit)", al, dep2.TxHash.Hex())
	}
}
