package daemon_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/api"
	"github.com/chainhound/chainhound/internal/daemon/daemontest"
	"github.com/chainhound/chainhound/internal/testnodes"
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
	cfg := `
store: { backend: redis, url: ` + r.URL + `, lease: 1s }
chains:
  ethereum:
    network: dev
    rpc: ` + g.WS + `
    confirmations: 2
    start_block: latest
    traces: "off"
    poll_interval: 100ms
`
	a, apiA := daemontest.Start(t, cfg, nil)
	testnodes.WaitFor(t, 10*time.Second, "replica A active", func() bool { return a.Engine() != nil && roleOf(t, apiA) == "active" })
	_, apiB := daemontest.Start(t, cfg, nil)
	if role := roleOf(t, apiB); role != "standby" {
		t.Fatalf("B is %q beside an active A", role)
	}
	key := daemontest.Key(t, a, api.RoleAdmin, "ops") // keys are read from Redis on every request

	call := func(base, method, path string, body any, want int) []byte {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s on %s: %d %s, want %d", method, path, base, resp.StatusCode, out, want)
		}
		return out
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
