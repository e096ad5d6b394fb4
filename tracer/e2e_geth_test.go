package tracer_test

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/ethereum"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/watchlists"
	"github.com/ethereum/go-ethereum/common"
)

// TestEndToEndGeth: on a real geth --dev followed by the real Ethereum
// follower, a theft from a treasury, three hops and a split, then a
// deposit to a labelled exchange: the engine finds it with the exact
// amount, share and path.
func TestEndToEndGeth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts geth")
	}
	g := testnodes.StartGeth(t)
	eth := testnodes.EtherAmount
	treasury := g.NewAccount(t, eth(100))
	keys := map[string]*testnodesKey{}
	for _, n := range []string{"thief", "h1", "h2", "s1", "s2"} {
		k := g.NewAccount(t, nil) // empty: all they hold is stolen
		keys[n] = &testnodesKey{k: k, addr: testnodes.AddressOf(k)}
	}
	exchange := common.HexToAddress("0x00000000000000000000000000000000000e8c4a")
	lower := func(a common.Address) string { return strings.ToLower(a.Hex()) }

	start := g.BlockNumber(t)
	theft := g.SendETH(t, treasury, keys["thief"].addr, eth(50))
	hop1 := g.SendETH(t, keys["thief"].k, keys["h1"].addr, eth(40))
	hop2 := g.SendETH(t, keys["h1"].k, keys["h2"].addr, eth(30))
	split1 := g.SendETH(t, keys["h2"].k, keys["s1"].addr, eth(10))
	g.SendETH(t, keys["h2"].k, keys["s2"].addr, eth(15))
	dep := g.SendETH(t, keys["s1"].k, exchange, eth(8))

	labels := labelMap{}
	labels.add(chains.Ethereum, lower(exchange), watchlists.Exchange, "Dev Exchange")
	labels.add(chains.Ethereum, lower(testnodes.AddressOf(treasury)), watchlists.Treasury, "Treasury")
	store, err := pebble.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	f, err := ethereum.New(ethereum.Config{Network: "dev", RPC: g.WS, StartBlock: big.NewInt(int64(start)).String(), Traces: ethereum.TracesOff, Checkpoints: store, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	log := &findingLog{}
	e, err := tracer.New(tracer.Config{}, tracer.Deps{Store: store, Labels: labels, Sink: log, Balances: f,
		Sources: map[chains.Chain]chains.BlockSource{chains.Ethereum: f}, Locators: map[chains.Chain]chains.TxLocator{chains.Ethereum: f}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.OpenIncident(ctx, watchlists.Incident{ID: "inc_e2e", Chain: chains.Ethereum, Status: watchlists.Open, Seeds: []watchlists.Seed{{Tx: strings.ToLower(theft.TxHash.Hex())}}}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, e.Handle) }()
	waitFor(t, "the exchange deposit", func() bool { return len(log.ofType(tracer.ExchangeDeposit)) > 0 })
	cancel()
	<-done

	fd := log.ofType(tracer.ExchangeDeposit)[0]
	if fd.Tainted.Cmp(eth(8)) != 0 || fd.Amount.Cmp(eth(8)) != 0 || fd.Hops != 5 || fd.Share != 8.0/50 || fd.Tx != strings.ToLower(dep.TxHash.Hex()) {
		t.Fatalf("finding: tainted %v amount %v hops %d share %v tx %s", fd.Tainted, fd.Amount, fd.Hops, fd.Share, fd.Tx)
	}
	want := []string{theft.TxHash.Hex(), hop1.TxHash.Hex(), hop2.TxHash.Hex(), split1.TxHash.Hex(), dep.TxHash.Hex()}
	for i, h := range fd.Path {
		if i >= len(want) || h.Tx != strings.ToLower(want[i]) {
			t.Fatalf("path hop %d: %+v, want tx %s", i, h, want[i])
		}
	}
	if fd.Path[0].From != lower(testnodes.AddressOf(treasury)) || fd.Path[4].To != lower(exchange) {
		t.Fatalf("path ends: %+v … %+v", fd.Path[0], fd.Path[4])
	}
	if outs := log.ofType(tracer.TreasuryOutflow); len(outs) != 1 || outs[0].Amount.Cmp(eth(50)) != 0 {
		t.Fatalf("treasury outflows: %+v", outs)
	}
	// s2 never moved its 15 ETH: all of it is stolen and still there.
	s, _ := e.Summary("inc_e2e")
	found := false
	for _, h := range s.Holders {
		if h.Address == lower(keys["s2"].addr) {
			found = h.Tainted.Cmp(eth(15)) == 0 && h.Hops == 4
		}
	}
	if !found {
		t.Fatalf("s2 does not hold 15 ETH of taint at 4 hops: %+v", s.Holders)
	}
}

type testnodesKey struct {
	k    *ecdsa.PrivateKey
	addr common.Address
}
