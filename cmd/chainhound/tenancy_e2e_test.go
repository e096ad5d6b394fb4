package main

import (
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/crypto"
)

// Issue 13, findings 1 and 2, through the real binary on a real geth:
// tenants whose names sort before the rightful owners' claim the same
// treasury and deposit addresses, and an exchange tenant puts an exchange
// entry on a sanctioned address. After a restart (entries then load in the
// store's key order, where the smaller owner came first) each tenant gets
// its own alerts with its own label, the drain's automatic incident is the
// treasury owner's, and the sanctioned address is reported as such while
// the taint goes on through it.
func TestSharedAddressesStayWithTheirTenants(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	t1, t2 := g.NewAccount(t, eth(10)), g.NewAccount(t, eth(300))
	thief, sanctioned := newEthKey(t), g.NewAccount(t, nil)
	deposit := crypto.PubkeyToAddress(newEthKey(t).PublicKey)
	onward := crypto.PubkeyToAddress(newEthKey(t).PublicKey)
	T1, T2 := crypto.PubkeyToAddress(t1.PublicKey), crypto.PubkeyToAddress(t2.PublicKey)
	S := crypto.PubkeyToAddress(sanctioned.PublicKey)

	d := newTestDaemon(t, fmt.Sprintf(`chains:
  ethereum:
    network: dev
    rpc: %s
    confirmations: 2
    start_block: latest
    poll_interval: 200ms
tracer:
  dust: { ethereum: "1000000000000000" }
  drain:
    amount: { ethereum: "100000000000000000000" }
  auto_incident: true
`, g.WS))
	dataDir, api, cfg := d.dataDir, d.api, d.cfg
	keys := map[string]string{}
	for _, k := range [][2]string{{"admin", "ops"}, {"company", "acme"}, {"company", "aaaco"}, {"exchange", "exch"}, {"exchange", "aaax"}} {
		keys[k[1]] = strings.TrimSpace(runBin(t, bin, 0, "--data-dir", dataDir, "keys", "create", "--role", k[0], "--tenant", k[1]))
	}
	daemon := startDaemon(t, bin, cfg, api)
	call := func(tenant, method, path string, body any) (int, string) {
		t.Helper()
		code, b := apiCall(t, api, keys[tenant], method, path, body)
		return code, string(b)
	}
	add := func(tenant, kind, address, label string) {
		t.Helper()
		if code, body := call(tenant, "POST", "/v1/watchlist", map[string]string{"chain": "ethereum", "kind": kind, "address": address, "label": label}); code != http.StatusCreated {
			t.Fatalf("%s adds %s %s: %d %s", tenant, kind, address, code, body)
		}
	}
	// The rightful owners first, then the claims on the same addresses.
	add("acme", "treasury", T1.Hex(), "acme hot")
	add("acme", "treasury", T2.Hex(), "acme cold")
	add("exch", "exchange", deposit.Hex(), "exch deposit")
	add("ops", "sanctioned", S.Hex(), "OFAC: a launderer")
	add("aaaco", "treasury", T1.Hex(), "aaaco says hot")
	add("aaaco", "treasury", T2.Hex(), "aaaco says cold")
	add("aaax", "exchange", deposit.Hex(), "aaax deposit")
	add("aaax", "exchange", S.Hex(), "aaax says exchange")

	// A restart: the entries now load in key order (aaaco before acme,
	// aaax before exch).
	daemon.Process.Signal(syscall.SIGTERM)
	if err := waitExit(daemon, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	startDaemon(t, bin, cfg, api)
	subs := map[string]*subscriber{}
	for _, tenant := range []string{"acme", "aaaco", "exch", "aaax"} {
		subs[tenant] = subscribe(t, api, keys[tenant])
	}

	// An outflow of T1: each claimant is told, under its own label.
	g.SendETH(t, t1, onward, eth(1))
	for tenant, label := range map[string]string{"acme": "acme hot", "aaaco": "aaaco says hot"} {
		a := subs[tenant].await(t, "ethereum", alerts.TypeTreasuryOutflow)
		if a.Label == nil || a.Label.Owner != tenant || a.Label.Name != label {
			t.Errorf("%s's treasury.outflow carries label %+v, want its own %q", tenant, a.Label, label)
		}
	}

	// A drain of T2 opens an automatic incident for each claimant; acme's
	// is acme's.
	g.SendETH(t, t2, crypto.PubkeyToAddress(thief.PublicKey), eth(200))
	incOf := map[string]string{}
	for _, tenant := range []string{"acme", "aaaco"} {
		d := subs[tenant].await(t, "ethereum", alerts.TypeTreasuryDrain)
		if d.Incident == "" || d.Label == nil || d.Label.Owner != tenant {
			t.Fatalf("%s's treasury.drain: incident %q label %+v", tenant, d.Incident, d.Label)
		}
		incOf[tenant] = d.Incident
	}
	if incOf["acme"] == incOf["aaaco"] {
		t.Fatalf("one automatic incident %s for two tenants", incOf["acme"])
	}
	if code, body := call("acme", "GET", "/v1/incidents/"+incOf["acme"], nil); code != http.StatusOK || !strings.Contains(body, `"owner":"acme"`) {
		t.Fatalf("acme reads its automatic incident: %d %s", code, body)
	}
	if code, body := call("aaaco", "POST", "/v1/incidents/"+incOf["acme"]+"/close", nil); code != http.StatusNotFound {
		t.Fatalf("aaaco closes acme's incident: %d %s, want 404", code, body)
	}

	// The thief deposits at exch's address: exch is told (aaax too, of
	// its own entry, under its own label).
	dep := g.SendETH(t, thief, deposit, eth(50))
	for tenant, label := range map[string]string{"exch": "exch deposit", "aaax": "aaax deposit"} {
		a := subs[tenant].await(t, "ethereum", alerts.TypeExchangeDeposit)
		if a.Tx != dep.TxHash.Hex() || a.Label == nil || a.Label.Owner != tenant || a.Label.Name != label || a.Incident != incOf["acme"] || a.Tainted != eth(50).String() {
			t.Errorf("%s's deposit alert: tx %s incident %s tainted %s label %+v; want %s of incident %s, all 50 ETH tainted, label %q",
				tenant, a.Tx, a.Incident, a.Tainted, a.Label, dep.TxHash.Hex(), incOf["acme"], label)
		}
	}

	// The thief pays the sanctioned address, which forwards: acme is told
	// it is sanctioned, and the taint goes on to the next address.
	g.SendETH(t, thief, S, eth(20))
	s := subs["acme"].await(t, "ethereum", alerts.TypeSanctioned)
	if s.Incident != incOf["acme"] || s.Label == nil || s.Label.Name != "OFAC: a launderer" {
		t.Errorf("acme's taint.sanctioned: incident %s label %+v", s.Incident, s.Label)
	}
	if a := subs["aaax"].await(t, "ethereum", alerts.TypeExchangeDeposit); a.To != S.Hex() || a.Label == nil || a.Label.Owner != "aaax" {
		t.Errorf("aaax's alert of its own entry at the sanctioned address: to %s label %+v", a.To, a.Label)
	}
	g.SendETH(t, sanctioned, onward, eth(10))
	testnodes.WaitFor(t, 30*time.Second, "the taint to go on past the sanctioned address", func() bool {
		_, body := call("acme", "GET", "/v1/incidents/"+incOf["acme"], nil)
		return strings.Contains(strings.ToLower(body), strings.ToLower(onward.Hex()))
	})
	for _, tenant := range []string{"exch", "aaax", "aaaco"} {
		for _, a := range subs[tenant].all() {
			if a.Label != nil && a.Label.Owner != tenant && a.Incident != incOf[tenant] {
				t.Errorf("%s was told of another tenant's entry: seq %d %s label %+v incident %s", tenant, a.Seq, a.Type, a.Label, a.Incident)
			}
		}
	}
}

// all returns every alert received so far.
func (s *subscriber) all() []alerts.Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]alerts.Alert(nil), s.got...)
}
