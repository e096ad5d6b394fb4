package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/apikey"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/daemon"
	"github.com/chainhound/chainhound/internal/daemon/daemontest"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/ethereum/go-ethereum/crypto"
)

// Two replicas on one Redis: a watchlist entry or an incident made
// through either one's API reaches the other's memory within a second,
// and so does its removal or closing; an incident opened through the
// standby is tracked by the active one.
func TestReplicasShareState(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth and redis-server")
	}
	g := testnodes.StartGeth(t)
	r := testnodes.StartRedis(t)
	victim := g.NewAccount(t, new(big.Int).Mul(big.NewInt(10), big.NewInt(1e18)))
	a, apiA, apiB := startReplicas(t, g, r, "")
	key := daemontest.Key(t, a, apikey.RoleAdmin, "ops") // keys are read from Redis on every request

	call := func(base, method, path string, body any, want int) []byte {
		t.Helper()
		return mustCall(t, base, key, method, path, body, want)
	}
	within := func(what string, ok func() bool) {
		t.Helper()
		start := time.Now()
		for !ok() {
			if time.Since(start) > time.Second {
				t.Fatalf("%s: not within 1s", what)
			}
			time.Sleep(60 * time.Millisecond) // under the key's 20 requests/s
		}
		t.Logf("%s after %s", what, time.Since(start).Round(time.Millisecond))
	}
	addr := crypto.PubkeyToAddress(victim.PublicKey).Hex()
	listed := func(base string) bool {
		return strings.Contains(string(call(base, "GET", "/v1/watchlist?chain=ethereum", nil, 200)), addr)
	}

	call(apiB, "POST", "/v1/watchlist", map[string]string{"chain": "ethereum", "address": addr, "kind": "treasury", "label": "vault", "owner": "acme"}, 201)
	within("entry made on B listed by A", func() bool { return listed(apiA) })
	call(apiA, "DELETE", "/v1/watchlist/ethereum/"+addr+"?owner=acme", nil, 204)
	within("entry removed on A gone from B", func() bool { return !listed(apiB) })

	var opened struct{ ID string }
	json.Unmarshal(call(apiB, "POST", "/v1/incidents", map[string]any{"title": "drained", "chain": "ethereum",
		"seeds": []map[string]any{{"address": addr, "from_block": g.BlockNumber(t)}}}, 201), &opened)
	if opened.ID == "" {
		t.Fatal("no incident id")
	}
	within("incident opened on B known to A and tracked by its engine", func() bool {
		_, tracked := a.Engine().Summary(opened.ID)
		return tracked && strings.Contains(string(call(apiA, "GET", "/v1/incidents/"+opened.ID, nil, 200)), `"status":"open"`)
	})
	call(apiA, "POST", "/v1/incidents/"+opened.ID+"/close", nil, 200)
	within("incident closed on A closed on B", func() bool {
		return strings.Contains(string(call(apiB, "GET", "/v1/incidents/"+opened.ID, nil, 200)), `"status":"closed"`)
	})
}

// roleOf reads the Ethereum chain's role from /healthz.
// startReplicas starts two daemons on one Redis store following g, with
// the config lines extra first: A, once it is the active replica, then B,
// which must be the standby; it returns A and both APIs' base URLs.
func startReplicas(t *testing.T, g *testnodes.Geth, r *testnodes.Redis, extra string) (a *daemon.Daemon, apiA, apiB string) {
	t.Helper()
	cfg := extra + `store: { backend: redis, url: ` + r.URL + `, lease: 1s }
chains:
  ethereum:
    network: dev
    rpc: ` + g.WS + `
    confirmations: 2
    start_block: latest
    traces: "off"
    poll_interval: 100ms
`
	a, apiA = daemontest.Start(t, cfg, nil)
	testnodes.WaitFor(t, 10*time.Second, "replica A active", func() bool { return a.Engine() != nil && roleOf(t, apiA) == "active" })
	_, apiB = daemontest.Start(t, cfg, nil)
	if role := roleOf(t, apiB); role != "standby" {
		t.Fatalf("B is %q beside an active A", role)
	}
	return a, apiA, apiB
}

func roleOf(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Chains map[string]struct {
			Role string `json:"role"`
		} `json:"chains"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(fmt.Errorf("healthz: %w", err))
	}
	return h.Chains["ethereum"].Role
}

// The active replica's fence moved on (as when another replica took its
// lease while it stalled): it stands by without exiting, a replica takes
// the lease again within about the lease and follows from the
// checkpoint, its engine loaded afresh. Twice over, with a treasury
// outflow after each handover: each alerted once, seqs dense, and both
// replicas' logs at the same last seq.
func TestReplicaStepsDownAndBack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth and redis-server")
	}
	g := testnodes.StartGeth(t)
	r := testnodes.StartRedis(t)
	rc := r.Client(t)
	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	treasury := g.NewAccount(t, eth(100))
	cfg := `
store: { backend: redis, url: ` + r.URL + `, lease: 1s }
chains:
  ethereum:
    network: dev
    rpc: ` + g.WS + `
    confirmations: 64
    start_block: latest
    traces: "off"
    poll_interval: 100ms
`
	a, apiA := daemontest.Start(t, cfg, func(ctx context.Context, d *daemon.Daemon) {
		if _, err := d.Registry.Add(ctx, watchlists.Entry{Chain: chains.Ethereum, Address: crypto.PubkeyToAddress(treasury.PublicKey).Hex(), Kind: watchlists.Treasury, Owner: "acme", Label: "acme"}); err != nil {
			t.Fatal(err)
		}
	})
	testnodes.WaitFor(t, 10*time.Second, "replica A active", func() bool { return roleOf(t, apiA) == "active" })
	b, apiB := daemontest.Start(t, cfg, nil)
	fence := func() int64 { v, _ := rc.Get(context.Background(), "{ch}:fence:ethereum").Int64(); return v }

	var txs []string
	for round := 1; round <= 2; round++ {
		f := fence()
		rc.Incr(context.Background(), "{ch}:fence:ethereum") // the active replica's token is stale now
		testnodes.WaitFor(t, 5*time.Second, "a replica taking the lease again", func() bool { return fence() == f+2 })
		testnodes.WaitFor(t, 5*time.Second, "one active replica", func() bool {
			ra, rb := roleOf(t, apiA), roleOf(t, apiB)
			return ra == "active" && rb == "standby" || ra == "standby" && rb == "active"
		})
		to, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		rcpt := g.SendETH(t, treasury, crypto.PubkeyToAddress(to.PublicKey), eth(1))
		txs = append(txs, rcpt.TxHash.Hex())
		testnodes.WaitFor(t, 20*time.Second, "the outflow alerted", func() bool {
			n, _ := rc.XLen(context.Background(), "{ch}:a:log").Result()
			return n >= int64(round)
		})
	}
	time.Sleep(2 * time.Second) // anything raised twice would be there by now
	msgs, err := rc.XRange(context.Background(), "{ch}:a:log", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, m := range msgs {
		var rec struct {
			Alert struct {
				Seq  uint64 `json:"seq"`
				Type string `json:"type"`
				Tx   string `json:"tx"`
			} `json:"alert"`
		}
		if err := json.Unmarshal([]byte(m.Values["r"].(string)), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Alert.Seq != uint64(i+1) {
			t.Fatalf("alert %d has seq %d", i, rec.Alert.Seq)
		}
		got = append(got, rec.Alert.Type+" "+rec.Alert.Tx)
	}
	want := []string{"treasury.outflow " + txs[0], "treasury.outflow " + txs[1]}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("alerts %v, want %v (each outflow once)", got, want)
	}
	testnodes.WaitFor(t, 2*time.Second, "both logs at the last seq", func() bool { return a.Alerts.Last() == 2 && b.Alerts.Last() == 2 })
}
