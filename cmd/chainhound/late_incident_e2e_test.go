package main

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// dayOfBlocks is a day of Ethereum mainnet blocks (12 s each).
const dayOfBlocks = 7200

// TestLateIncidentDayOfBlocks (issue 16, "done when"): the binary with its
// default configuration follows a real geth full node (gcmode full: the
// state of the last 128 blocks). Company acme opens an incident at once
// after a theft; the thief passes the loot on and two deposits reach an
// exchange. Then a day of blocks (7,200) goes by, the node's state at the
// theft is checked gone, and company beta opens an incident over the same
// theft: its 201 answer and then GET say catching_up with from, at, to
// and a rate while it replays the day from the transfer index, it goes
// live, and it raises the same deposit alerts as acme's — same
// transactions, amounts and tainted amounts to the wei, same paths.
func TestLateIncidentDayOfBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth and the chainhound binary; makes 7,200 blocks")
	}
	began := time.Now()
	bin := buildBinary(t)
	g := testnodes.StartGeth(t, testnodes.WithOneTransferPerBlock())
	eth := testnodes.EtherAmount
	victim, thief, mule := g.NewAccount(t, eth(100)), g.NewAccount(t, eth(30)), g.NewAccount(t, eth(3))
	thiefAddr, muleAddr := testnodes.AddressOf(thief), testnodes.AddressOf(mule)
	exchange := crypto.PubkeyToAddress(newEthKey(t).PublicKey)

	// The default configuration: only the chain's network and node.
	d := newTestDaemon(t, "chains:\n  ethereum:\n    network: dev\n    rpc: "+g.WS+"\n")
	acme, beta := d.key(t, bin, "company", "acme"), d.key(t, bin, "company", "beta")
	runBin(t, bin, 0, "--config", d.cfg, "watch", "add", "--chain", "ethereum", "--kind", "exchange",
		"--address", exchange.Hex(), "--label", "Exchange deposit", "--owner", "exch")
	startDaemon(t, bin, d.cfg, d.api)
	coA, coB := subscribe(t, d.api, acme), subscribe(t, d.api, beta)

	type tracking struct {
		State        string
		From, At, To uint64
		Rate         float64
		Reason       string
	}
	type incident struct {
		ID       string   `json:"id"`
		Tracking tracking `json:"tracking"`
	}
	open := func(key, tx string) incident {
		t.Helper()
		body := map[string]any{"title": "theft", "chain": "ethereum", "seeds": []map[string]string{{"tx": tx}}}
		code, rb := apiCall(t, d.api, key, "POST", "/v1/incidents", body)
		var inc incident
		if err := json.Unmarshal(rb, &inc); err != nil || code != http.StatusCreated {
			t.Fatalf("open incident: %d %s", code, rb)
		}
		return inc
	}
	get := func(key, id string) incident {
		t.Helper()
		code, rb := apiCall(t, d.api, key, "GET", "/v1/incidents/"+id, nil)
		var inc incident
		if err := json.Unmarshal(rb, &inc); err != nil || code != http.StatusOK {
			t.Fatalf("get incident %s: %d %s", id, code, rb)
		}
		return inc
	}
	headReached := func(within time.Duration) {
		t.Helper()
		head := g.BlockNumber(t)
		testnodes.WaitFor(t, within, fmt.Sprintf("the daemon at the node's head %d", head), func() bool { return processed(t, d.api) >= head })
	}

	theft := g.SendETH(t, victim, thiefAddr, eth(50))
	theftTx := theft.TxHash.Hex()
	headReached(30 * time.Second)
	early := open(acme, theftTx)
	testnodes.WaitFor(t, 30*time.Second, "acme's incident live", func() bool { return get(acme, early.ID).Tracking.State == "live" })

	// The thief held 30 clean ether and the mule 3: the share of taint they
	// pass on depends on what they held before it came.
	thiefAt := theft.BlockNumber.Uint64() - 1
	thiefClean, err := g.Client.BalanceAt(t.Context(), thiefAddr, new(big.Int).SetUint64(thiefAt))
	if err != nil {
		t.Fatal(err)
	}
	pass := g.SendETH(t, thief, muleAddr, eth(20))
	muleClean, err := g.Client.BalanceAt(t.Context(), muleAddr, new(big.Int).SetUint64(pass.BlockNumber.Uint64()-1))
	if err != nil {
		t.Fatal(err)
	}
	dep1 := g.SendETH(t, mule, exchange, eth(8))
	dep2 := g.SendETH(t, thief, exchange, eth(5))
	earlyAlerts := []alerts.Alert{coA.await(t, "ethereum", alerts.TypeExchangeDeposit), coA.await(t, "ethereum", alerts.TypeExchangeDeposit)}
	if earlyAlerts[0].Tx != dep1.TxHash.Hex() || earlyAlerts[1].Tx != dep2.TxHash.Hex() {
		t.Fatalf("acme's deposit alerts %s, %s; want the deposits %s, %s", earlyAlerts[0], earlyAlerts[1], dep1.TxHash.Hex(), dep2.TxHash.Hex())
	}
	// Haircut: the thief held 30 clean and 50 stolen and passed 20 (12.5
	// tainted) to the mule holding 3 clean, which deposited 8.
	want1 := new(big.Int).Mul(eth(20), eth(50))
	want1.Div(want1, new(big.Int).Add(thiefClean, eth(50)))
	want1.Mul(want1, eth(8))
	want1.Div(want1, new(big.Int).Add(muleClean, eth(20)))
	if earlyAlerts[0].Tainted != want1.String() {
		t.Fatalf("acme's first deposit tainted %s, want %s", earlyAlerts[0].Tainted, want1)
	}

	// A day of blocks, made in steps the daemon keeps up with: a full node
	// traces only blocks whose parent state it still holds (128 blocks).
	filled, step := time.Duration(0), 100
	for n := 0; n < dayOfBlocks; n += step {
		filled += g.FillBlocks(t, min(step, dayOfBlocks-n))
		headReached(60 * time.Second)
	}
	t.Logf("%d blocks made in %v (%.0f blocks/s), followed by the daemon in %v", dayOfBlocks, filled.Round(time.Millisecond),
		dayOfBlocks/filled.Seconds(), time.Since(began).Round(time.Second))
	if _, err := g.Client.BalanceAt(t.Context(), thiefAddr, new(big.Int).SetUint64(thiefAt)); err == nil || !strings.Contains(err.Error(), "historical state") {
		t.Fatalf("balance at block %d a day later: %v; want the full node to have pruned it", thiefAt, err)
	}

	caughtUp := time.Now()
	late := open(beta, theftTx)
	head := g.BlockNumber(t)
	if tr := late.Tracking; tr.State != "catching_up" || tr.From != theft.BlockNumber.Uint64() || tr.To+1 < head {
		t.Fatalf("201 tracking %+v; want catching_up from the theft's block %d to the head %d", tr, theft.BlockNumber.Uint64(), head)
	}
	var during []tracking
	for {
		tr := get(beta, late.ID).Tracking
		if tr.State != "catching_up" {
			if tr.State != "live" {
				t.Fatalf("late incident: tracking %+v; want live after catching up", tr)
			}
			break
		}
		during = append(during, tr)
		if time.Since(caughtUp) > 3*time.Minute {
			t.Fatalf("late incident still catching up after 3 minutes: %+v", tr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(caughtUp)
	progressed := false
	for _, tr := range during {
		if tr.From == theft.BlockNumber.Uint64() && tr.From < tr.At && tr.At < tr.To && tr.Rate > 0 {
			progressed = true
		}
	}
	if !progressed {
		t.Fatalf("tracking while catching up %+v; want one with from < at < to and a rate", during)
	}
	t.Logf("late incident caught up %d blocks in %v (%.0f blocks/s); %d looks while catching up, last %+v",
		head-theft.BlockNumber.Uint64(), took.Round(time.Millisecond), float64(head-theft.BlockNumber.Uint64())/took.Seconds(), len(during), during[len(during)-1])

	lateAlerts := []alerts.Alert{coB.await(t, "ethereum", alerts.TypeExchangeDeposit), coB.await(t, "ethereum", alerts.TypeExchangeDeposit)}
	for i, a := range earlyAlerts {
		b := lateAlerts[i]
		if b.Incident != late.ID || a.Incident != early.ID {
			t.Fatalf("alert %d: incidents %s, %s; want %s, %s", i, a.Incident, b.Incident, early.ID, late.ID)
		}
		if a.Tx != b.Tx || a.From != b.From || a.To != b.To || a.Amount != b.Amount || a.Tainted != b.Tainted || a.Hops != b.Hops {
			t.Fatalf("deposit %d: the late incident's alert differs:\nearly %s\nlate  %s", i, a, b)
		}
		pa, pb := pathOf(a), pathOf(b)
		if pa != pb {
			t.Fatalf("deposit %d: paths differ:\nearly %s\nlate  %s", i, pa, pb)
		}
	}
	t.Logf("whole test %v", time.Since(began).Round(time.Second))
}

// pathOf renders an alert's path hop by hop: chain, tx, from, to, amount.
func pathOf(a alerts.Alert) string {
	var sb strings.Builder
	for _, h := range a.Path {
		fmt.Fprintf(&sb, "%s %s %s→%s %s; ", h.Chain, h.Tx, common.HexToAddress(h.From).Hex(), common.HexToAddress(h.To).Hex(), h.Amount)
	}
	return sb.String()
}
