package main

import (
	"crypto/ecdsa"
	"math/big"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/alerts"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// redisTheft is the start the Redis fault tests share: the binary serving
// on a Redis store against geth --dev, an exchange on the watchlist, a
// subscriber, an incident opened on a theft and the thief's first deposit
// at the exchange alerted.
type redisTheft struct {
	g        *testnodes.Geth
	d        testDaemon
	key      string
	sub      *subscriber
	thief    *ecdsa.PrivateKey
	exchange common.Address
	dep1     *types.Receipt
}

// startRedisTheft starts it; store is the configuration's store section
// followed by "chains:\n".
func startRedisTheft(t *testing.T, bin string, g *testnodes.Geth, store string) *redisTheft {
	t.Helper()
	x := &redisTheft{g: g, thief: newEthKey(t), exchange: crypto.PubkeyToAddress(newEthKey(t).PublicKey)}
	victim := g.NewAccount(t, ether(100))
	x.d = newTestDaemon(t, store+devEthereum(g.WS, 1))
	x.key = strings.TrimSpace(runBin(t, bin, 0, "--config", x.d.cfg, "keys", "create", "--role", "admin", "--tenant", "ops"))
	runBin(t, bin, 0, "--config", x.d.cfg, "watch", "add", "--chain", "ethereum", "--kind", "exchange",
		"--address", x.exchange.Hex(), "--label", "Exchange deposit", "--owner", "exch")
	startDaemon(t, bin, x.d.cfg, x.d.api)
	x.sub = subscribe(t, x.d.api, x.key)

	theft := g.SendETH(t, victim, crypto.PubkeyToAddress(x.thief.PublicKey), ether(20))
	body := map[string]any{"title": "theft", "chain": "ethereum", "seeds": []map[string]string{{"tx": theft.TxHash.Hex()}}}
	if code, rb := apiCall(t, x.d.api, x.key, "POST", "/v1/incidents", body); code != 201 {
		t.Fatalf("open incident: %d %s", code, rb)
	}
	g.MineBlocks(t, 2)
	x.dep1 = x.deposit(t, 5)
	if a := x.sub.await(t, "ethereum", alerts.TypeExchangeDeposit); a.Tx != x.dep1.TxHash.Hex() {
		t.Fatalf("first deposit alert %s", a)
	}
	return x
}

// deposit sends n ether of the thief's to the exchange.
func (x *redisTheft) deposit(t *testing.T, n int64) *types.Receipt {
	return x.g.SendETH(t, x.thief, x.exchange, ether(n))
}

// checkOnce checks that the subscriber's seqs are 1, 2, … without a gap
// or a repeat and that it saw the first deposit and deps alerted once each.
func (x *redisTheft) checkOnce(t *testing.T, deps ...*types.Receipt) {
	t.Helper()
	for i, s := range x.sub.seqs() {
		if s != uint64(i+1) {
			t.Fatalf("subscriber saw seqs %v: a gap or a repeat at %d", x.sub.seqs(), i)
		}
	}
	seen := map[string]int{}
	x.sub.mu.Lock()
	for _, a := range x.sub.got {
		if a.Type == alerts.TypeExchangeDeposit {
			seen[a.Tx]++
		}
	}
	x.sub.mu.Unlock()
	for _, dep := range append([]*types.Receipt{x.dep1}, deps...) {
		if seen[dep.TxHash.Hex()] != 1 {
			t.Fatalf("deposit alerts %v; want each deposit once", seen)
		}
	}
}

func ether(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
