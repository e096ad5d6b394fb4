package main

import (
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestRedisRestartMidRun (issue 15, faults): serve on a Redis with its
// append-only file synced at every write; Redis is restarted between two
// of the thief's deposits at the exchange. The daemon rides it out — the
// first deposit's alert stays, the second comes once, the seqs of what a
// subscriber sees are 1, 2, … without a gap or a repeat, and the
// subscriber resumes by since.
func TestRedisRestartMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth, redis-server and the chainhound binary")
	}
	bin := buildBinary(t)
	g := testnodes.StartGeth(t)
	r := testnodes.StartRedisPersistent(t)
	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	victim := g.NewAccount(t, eth(100))
	thief := newEthKey(t)
	exchange := crypto.PubkeyToAddress(newEthKey(t).PublicKey)

	d := newTestDaemon(t, fmt.Sprintf("store: { backend: redis, url: %q, lease: 2s }\nchains:\n", r.URL)+devEthereum(g.WS, 1))
	key := strings.TrimSpace(runBin(t, bin, 0, "--config", d.cfg, "keys", "create", "--role", "admin", "--tenant", "ops"))
	runBin(t, bin, 0, "--config", d.cfg, "watch", "add", "--chain", "ethereum", "--kind", "exchange",
		"--address", exchange.Hex(), "--label", "Exchange deposit", "--owner", "exch")
	startDaemon(t, bin, d.cfg, d.api)
	sub := subscribe(t, d.api, key)

	theft := g.SendETH(t, victim, crypto.PubkeyToAddress(thief.PublicKey), eth(20))
	body := map[string]any{"title": "theft", "chain": "ethereum", "seeds": []map[string]string{{"tx": theft.TxHash.Hex()}}}
	if code, rb := apiCall(t, d.api, key, "POST", "/v1/incidents", body); code != 201 {
		t.Fatalf("open incident: %d %s", code, rb)
	}
	g.MineBlocks(t, 2)
	dep1 := g.SendETH(t, thief, exchange, eth(5))
	if a := sub.await(t, "ethereum", alerts.TypeExchangeDeposit); a.Tx != dep1.TxHash.Hex() {
		t.Fatalf("first deposit alert %s", a)
	}

	r.Restart(t)
	sub.drop() // and the subscriber's socket breaks too: it resumes by since
	sub.resume(t)
	g.MineBlocks(t, 2)
	dep2 := g.SendETH(t, thief, exchange, eth(4))
	if a := sub.await(t, "ethereum", alerts.TypeExchangeDeposit); a.Tx != dep2.TxHash.Hex() {
		t.Fatalf("the next deposit alert after the Redis restart is %s, want the second deposit %s", a, dep2.TxHash.Hex())
	}
	time.Sleep(2 * time.Second) // anything repeated would come now
	seen := map[string]int{}
	for i, s := range sub.seqs() {
		if s != uint64(i+1) {
			t.Fatalf("subscriber saw seqs %v: a gap or a repeat at %d", sub.seqs(), i)
		}
	}
	sub.mu.Lock()
	for _, a := range sub.got {
		if a.Type == alerts.TypeExchangeDeposit {
			seen[a.Tx]++
		}
	}
	sub.mu.Unlock()
	if seen[dep1.TxHash.Hex()] != 1 || seen[dep2.TxHash.Hex()] != 1 {
		t.Fatalf("deposit alerts %v; want each deposit once", seen)
	}
}
