package main

import (
	"encoding/json"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

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

	d := newTestDaemon(t, "chains:\n"+devEthereum(g.WS, 1))
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

// TestIncidentTrackingOnGeth (issue 16, item 3): a theft 60 blocks back.
// `incident open --wait` waits for the catch-up and exits 0 when it is
// live. A second incident's 201 answer says catching_up from the theft's
// block to the head; with the node held the catch-up stalls and says so;
// then the node vanishes: the incident is failed with the reason, and its
// owner gets an incident.failed alert naming it.
func TestIncidentTrackingOnGeth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	gate := newRPCGate(t, g.HTTP)
	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	victim := g.NewAccount(t, eth(100))
	thief := crypto.PubkeyToAddress(newEthKey(t).PublicKey)
	theft := g.SendETH(t, victim, thief, eth(25))
	g.MineBlocks(t, 60) // within the state a full node keeps (128 blocks): the index is issue 16's other part

	d := newTestDaemon(t, "chains:\n"+devEthereum(gate.URL, 1))
	api := d.api
	acme := d.key(t, bin, "company", "acme")
	startDaemon(t, bin, d.cfg, api)
	co := subscribe(t, api, acme)

	out := runBin(t, bin, 0, "incident", "open", "--wait", "--chain", "ethereum", "--tx", theft.TxHash.Hex(), "--api", api, "--api-key", acme)
	if !regexp.MustCompile(`(?m)^tracking\s+live\s*$`).MatchString(out) {
		t.Fatalf("incident open --wait printed:\n%s\nwant the incident live", out)
	}
	if ls := runBin(t, bin, 0, "incident", "ls", "--api", api, "--api-key", acme); !regexp.MustCompile(`(?m)^inc_\S+\s+open\s+live\s+ethereum`).MatchString(ls) {
		t.Fatalf("incident ls printed:\n%s\nwant the incident open and live", ls)
	}

	body := map[string]any{"title": "again", "chain": "ethereum", "seeds": []map[string]string{{"tx": theft.TxHash.Hex()}}}
	code, rb := apiCall(t, api, acme, "POST", "/v1/incidents", body)
	gate.hold()
	var inc struct {
		ID       string `json:"id"`
		Tracking struct {
			State        string
			From, At, To uint64
			Reason       string
		} `json:"tracking"`
	}
	if err := json.Unmarshal(rb, &inc); err != nil || code != http.StatusCreated {
		t.Fatalf("open: %d %s", code, rb)
	}
	if tr := inc.Tracking; tr.State != "catching_up" || tr.From != theft.BlockNumber.Uint64() || tr.To < tr.From+60 {
		t.Fatalf("201 tracking %+v; want catching_up from the theft's block %d to the head", tr, theft.BlockNumber.Uint64())
	}
	get := func() []byte {
		code, rb := apiCall(t, api, acme, "GET", "/v1/incidents/"+inc.ID, nil)
		if code != http.StatusOK {
			t.Fatalf("get: %d %s", code, rb)
		}
		if err := json.Unmarshal(rb, &inc); err != nil {
			t.Fatal(err)
		}
		return rb
	}
	time.Sleep(500 * time.Millisecond)
	get()
	if tr := inc.Tracking; tr.State != "catching_up" || tr.At >= tr.To {
		t.Fatalf("held node: tracking %+v; want still catching up", tr)
	}
	gate.vanish()
	gate.release()
	deadline := time.Now().Add(30 * time.Second)
	for get(); inc.Tracking.State != "failed"; get() {
		if time.Now().After(deadline) {
			t.Fatalf("the node vanished 30 s ago; tracking %+v, want failed", inc.Tracking)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if inc.Tracking.Reason == "" {
		t.Fatal("failed without a reason")
	}
	a := co.await(t, "ethereum", alerts.TypeIncidentFailed)
	if a.Incident != inc.ID || a.Reason != inc.Tracking.Reason || a.Severity != alerts.High {
		t.Fatalf("incident.failed alert %s; want incident %s, reason %q, high", a, inc.ID, inc.Tracking.Reason)
	}
}
