package evmbridges_test

import (
	"context"
	"math/big"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/bridges/evmbridges"
	"github.com/chainhound/chainhound/tracer/tracertest"
	"github.com/chainhound/chainhound/watchlists"
)

// TestBridgeDepositNamesItsDestination: stolen ETH paid into the LI.FI
// diamond (an operator's bridge entry, protocol lifi) in a transaction
// carrying the real mainnet LiFiTransferStarted event of block 22,526,256
// (a thorswap bridge to Bitcoin): the taint.bridge finding says the taint
// went to bitcoin. Without the entry's protocol, or with the event from a
// contract nobody vouches for, it says nothing.
func TestBridgeDepositNamesItsDestination(t *testing.T) {
	real := loadLog(t, "lifi_mainnet_22526256.json")
	const victim, thief = "0x2000000000000000000000000000000000000001", "0x2000000000000000000000000000000000000002"
	for _, c := range []struct {
		name     string
		protocol string
		emitter  string
		want     string
	}{
		{"lifi entry", "lifi", real.Address, "bitcoin"},
		{"bridge entry without protocol", "", real.Address, ""},
		{"event from another contract", "lifi", "0x3000000000000000000000000000000000000009", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := tracertest.NewLabels(watchlists.Entry{Chain: chains.Ethereum, Address: real.Address, Kind: watchlists.Bridge, Label: "LI.FI Diamond", Protocol: c.protocol, Owner: "ops"})
			s := &tracertest.Sink{}
			e, err := tracer.New(tracer.Config{}, tracer.Deps{Labels: l, Sink: s, Recognisers: []tracer.Recogniser{evmbridges.New(l, nil)}})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			ev := real
			ev.Address = c.emitter
			b1 := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: 1, Hash: "h1", Parent: "h0"}, Txs: []chains.Tx{{Hash: "0x01", From: victim,
				Transfers: []chains.Transfer{{Kind: chains.Native, LogIndex: -1, From: victim, To: thief, Asset: chains.ETH, Amount: big.NewInt(1e18)}}}}}
			b2 := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: 2, Hash: "h2", Parent: "h1"}, Txs: []chains.Tx{{Hash: "0x02", From: thief,
				Transfers: []chains.Transfer{{Kind: chains.Native, LogIndex: -1, From: thief, To: real.Address, Asset: chains.ETH, Amount: big.NewInt(5e17)}},
				Logs:      []chains.Log{ev}}}}
			if err := e.OpenIncident(context.Background(), watchlists.Incident{ID: "inc", Chain: chains.Ethereum, Status: watchlists.Open, Seeds: []watchlists.Seed{{Tx: "0x01"}}}); err != nil {
				t.Fatal(err)
			}
			for _, b := range []*chains.Block{b1, b2} {
				if err := e.Handle(context.Background(), chains.Event{Type: chains.Connected, Chain: chains.Ethereum, Block: b, Ref: b.Ref}); err != nil {
					t.Fatal(err)
				}
			}
			br := s.Of(tracer.BridgeDeposit)
			if len(br) != 1 {
				t.Fatalf("bridge findings %+v, want 1", br)
			}
			got := ""
			if br[0].Dest != nil {
				got = br[0].Dest.Chain
			}
			if got != c.want {
				t.Fatalf("dest %+v, want chain %q", br[0].Dest, c.want)
			}
		})
	}
}
