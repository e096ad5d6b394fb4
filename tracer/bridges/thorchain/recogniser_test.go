package thorchain_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
	"github.com/chainhound/chainhound/tracer/tracertest"
	"github.com/chainhound/chainhound/watchlists"
)

// The recogniser on the real engine, with blocks built here: ETH stolen on
// Ethereum, swapped to BTC through the router (its Deposit event with a
// swap memo), paid out on Bitcoin by the vault (OP_RETURN OUT:<inbound>),
// then deposited at a Bitcoin exchange.

const (
	router   = "0x1000000000000000000000000000000000000001"
	vault    = "0x1000000000000000000000000000000000000002"
	victim   = "0x2000000000000000000000000000000000000001"
	thief    = "0x2000000000000000000000000000000000000002"
	btcDest  = "bc1qdest"
	btcVault = "bc1qvault"
	btcEx    = "bc1qexchange"
)

// prevouts holds the outputs of the test's Bitcoin blocks.
type prevouts = tracertest.Prevouts

func ethBlock(n uint64, txs ...chains.Tx) *chains.Block {
	b := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: n, Hash: fmt.Sprintf("e%d", n), Parent: fmt.Sprintf("e%d", n-1), Time: time.Unix(int64(1_700_000_000+12*n), 0)}}
	for i := range txs {
		txs[i].Index = i
		for k := range txs[i].Transfers {
			txs[i].Transfers[k].TxIndex, txs[i].Transfers[k].Seq, txs[i].Transfers[k].LogIndex = i, k, -1
		}
	}
	b.Txs = txs
	return b
}

func btcBlock(n uint64, p prevouts, txs ...chains.Tx) *chains.Block {
	b := &chains.Block{Chain: chains.Bitcoin, Ref: chains.BlockRef{Number: n, Hash: fmt.Sprintf("b%d", n), Parent: fmt.Sprintf("b%d", n-1), Time: time.Unix(int64(1_700_000_000+600*n), 0)}}
	for i := range txs {
		txs[i].Index = i
		for _, o := range txs[i].Outputs {
			p[chains.Outpoint{Tx: txs[i].Hash, Index: o.Index}] = o
		}
	}
	b.Txs = txs
	return b
}

func eth(from, to string, amt int64) chains.Transfer {
	return chains.Transfer{Kind: chains.Native, From: from, To: to, Asset: chains.ETH, Amount: big.NewInt(amt)}
}

// world returns the Ethereum blocks (theft, swap) and the Bitcoin blocks
// (the vault's coin, the payout, the exchange deposit).
func world(p prevouts) (ethBlocks, btcBlocks []*chains.Block, swapTx string) {
	swapTx = "0x" + strings.Repeat("ab", 32)
	e1 := ethBlock(1, chains.Tx{Hash: "0x" + strings.Repeat("11", 32), From: victim, Transfers: []chains.Transfer{eth(victim, thief, 1e18)}})
	e2 := ethBlock(2, chains.Tx{Hash: swapTx, From: thief,
		Transfers: []chains.Transfer{eth(thief, router, 8e17), {Kind: chains.Internal, From: router, To: vault, Asset: chains.ETH, Amount: big.NewInt(8e17)}},
		Logs:      []chains.Log{thorchain.DepositLog(router, vault, thorchain.NativeAsset, big.NewInt(8e17), "=:b:"+btcDest+":0/1/0")}})
	memo := "OUT:" + thorchain.NormaliseTxID(swapTx)
	b1 := btcBlock(1, p, chains.Tx{Hash: strings.Repeat("c1", 32), Outputs: []chains.Output{{Index: 0, Value: 5_000_000, Address: btcVault, Class: chains.P2WPKH}}})
	b2 := btcBlock(2, p, chains.Tx{Hash: strings.Repeat("c2", 32),
		Inputs: []chains.Input{{Prev: chains.Outpoint{Tx: strings.Repeat("c1", 32), Index: 0}}},
		Outputs: []chains.Output{
			{Index: 0, Value: 40_000, Address: btcDest, Class: chains.P2WPKH},
			{Index: 1, Value: 4_950_000, Address: btcVault, Class: chains.P2WPKH},
			{Index: 2, Address: "op_return:" + hex.EncodeToString([]byte(memo)), Class: chains.NullData},
		}})
	b3 := btcBlock(3, p, chains.Tx{Hash: strings.Repeat("c3", 32),
		Inputs:  []chains.Input{{Prev: chains.Outpoint{Tx: strings.Repeat("c2", 32), Index: 0}}},
		Outputs: []chains.Output{{Index: 0, Value: 39_000, Address: btcEx, Class: chains.P2WPKH}}})
	return []*chains.Block{e1, e2}, []*chains.Block{b1, b2, b3}, swapTx
}

// TestSwapToBitcoinReachesExchange: the swap's taint.bridge finding names
// its destination; the payout on Bitcoin carries the swap's taint share
// (0.8 of 0.8 ETH tainted: the whole 40,000 sat output), and its deposit at
// the exchange is the Ethereum incident's finding with a path across both
// chains — whichever chain's blocks the engine applies first. Each chain
// has its own dust floor in its own unit (40,000 sat is far below
// Ethereum's 10^15 wei, and must not be cut by it).
func TestSwapToBitcoinReachesExchange(t *testing.T) {
	for _, order := range []string{"ethereum first", "bitcoin first"} {
		t.Run(order, func(t *testing.T) {
			l := routerAndExchange()
			e, s, p, connect := swapRig(t, tracer.Config{Dust: chainDust()}, tracer.Deps{Labels: l})
			eb, bb, swapTx := world(p)
			openTheft(t, e, eb)
			if order == "ethereum first" {
				connect(eb...)
				connect(bb...)
			} else {
				connect(bb[:2]...) // the payout before the swap
				connect(eb...)
				connect(bb[2])
			}
			br := s.Of(tracer.BridgeDeposit)
			if len(br) != 1 || br[0].Tx != swapTx || br[0].Dest == nil || br[0].Dest.Chain != "bitcoin" || br[0].Dest.Address != btcDest || br[0].Dest.Asset != "BTC.BTC" {
				t.Fatalf("bridge findings %+v; want the swap's, dest bitcoin %s BTC.BTC", br, btcDest)
			}
			ex := s.Of(tracer.ExchangeDeposit)
			if len(ex) != 1 || ex[0].Chain != chains.Bitcoin || ex[0].Incident != "inc" || ex[0].Tainted.Int64() != 39_000 {
				t.Fatalf("exchange findings %+v; want the Bitcoin deposit, all 39,000 sat tainted", ex)
			}
			path := ex[0].Path
			if len(path) < 4 || path[0].Chain != chains.Ethereum || path[len(path)-1].Chain != chains.Bitcoin {
				t.Fatalf("path %+v; want it to start on ethereum and end on bitcoin", path)
			}
			// The payout's hop came out of the router, on the other chain
			// than its own; it is the payout transaction on Bitcoin to the
			// destination address in either order (joined on Ethereum when
			// the payout came first).
			po, dep := path[len(path)-2], path[len(path)-1]
			if v := po.Via; v == nil || v.Kind != watchlists.Bridge || v.Protocol != thorchain.Protocol || v.Label != "THORChain router" {
				t.Fatalf("payout hop %+v via %+v; want the THORChain router bridge", po, v)
			}
			if po.Chain != chains.Bitcoin || po.Tx != strings.Repeat("c2", 32) || po.To != btcDest || po.Block != 2 || dep.From != btcDest {
				t.Fatalf("payout hop %+v, deposit hop %+v; want the payout c2… on bitcoin (block 2) to %s, then from it", po, dep, btcDest)
			}
		})
	}
}

// TestSwapBackToEthereum: the reverse swap — tainted coins on Bitcoin paid
// to a THORChain vault (labelled by the operator) with the memo
// "=:e:<address>" in an OP_RETURN; the router's TransferOut on Ethereum
// saying OUT:<the Bitcoin txid> pays the address; its deposit at an
// Ethereum exchange is the Bitcoin incident's finding.
func TestSwapBackToEthereum(t *testing.T) {
	const ethDest, ethEx = "0x3000000000000000000000000000000000000001", "0x3000000000000000000000000000000000000002"
	l := tracertest.Labels{
		"ethereum|" + router:  {Chain: chains.Ethereum, Address: router, Kind: watchlists.Bridge, Label: "THORChain router", Protocol: thorchain.Protocol, Owner: "shipped"},
		"bitcoin|" + btcVault: {Chain: chains.Bitcoin, Address: btcVault, Kind: watchlists.Bridge, Label: "THORChain vault", Protocol: thorchain.Protocol, Owner: "ops"},
		"ethereum|" + ethEx:   {Chain: chains.Ethereum, Address: ethEx, Kind: watchlists.Exchange, Label: "ETH exchange", Owner: "exch"},
	}
	e, s, p, connect := swapRig(t, tracer.Config{Dust: chainDust()}, tracer.Deps{Labels: l})
	theft := strings.Repeat("d1", 32)
	swap := strings.Repeat("d2", 32)
	b1 := btcBlock(1, p, chains.Tx{Hash: strings.Repeat("d0", 32), Outputs: []chains.Output{{Index: 0, Value: 2_000_000, Address: "bc1qvictim", Class: chains.P2WPKH}}})
	b2 := btcBlock(2, p, chains.Tx{Hash: theft, Inputs: []chains.Input{{Prev: chains.Outpoint{Tx: strings.Repeat("d0", 32), Index: 0}}},
		Outputs: []chains.Output{{Index: 0, Value: 1_990_000, Address: "bc1qthief", Class: chains.P2WPKH}}})
	memo := "=:e:" + ethDest + ":0"
	b3 := btcBlock(3, p, chains.Tx{Hash: swap, Inputs: []chains.Input{{Prev: chains.Outpoint{Tx: theft, Index: 0}}},
		Outputs: []chains.Output{
			{Index: 0, Value: 1_980_000, Address: btcVault, Class: chains.P2WPKH},
			{Index: 1, Address: "op_return:" + hex.EncodeToString([]byte(memo)), Class: chains.NullData},
		}})
	connect(b1)
	inc := watchlists.Incident{ID: "inc", Chain: chains.Bitcoin, Status: watchlists.Open, Seeds: []watchlists.Seed{{Tx: theft}}}
	if err := e.OpenIncident(context.Background(), inc); err != nil {
		t.Fatal(err)
	}
	connect(b2, b3)
	out := ethBlock(1, chains.Tx{Hash: "0x" + strings.Repeat("e1", 32), From: vault,
		Transfers: []chains.Transfer{eth(vault, router, 6e17), {Kind: chains.Internal, From: router, To: ethDest, Asset: chains.ETH, Amount: big.NewInt(6e17)}},
		Logs:      []chains.Log{thorchain.TransferOutLog(router, vault, ethDest, thorchain.NativeAsset, big.NewInt(6e17), "OUT:"+strings.ToUpper(swap))}})
	dep := ethBlock(2, chains.Tx{Hash: "0x" + strings.Repeat("e2", 32), From: ethDest, Transfers: []chains.Transfer{eth(ethDest, ethEx, 5e17)}})
	connect(out, dep)
	br := s.Of(tracer.BridgeDeposit)
	if len(br) != 1 || br[0].Dest == nil || br[0].Dest.Chain != "ethereum" || br[0].Dest.Address != ethDest {
		t.Fatalf("bridge findings %+v; want the swap to ethereum %s", br, ethDest)
	}
	ex := s.Of(tracer.ExchangeDeposit)
	if len(ex) != 1 || ex[0].Chain != chains.Ethereum || ex[0].Incident != "inc" || ex[0].Tainted.Sign() <= 0 {
		t.Fatalf("exchange findings %+v; want the Ethereum deposit of the Bitcoin incident", ex)
	}
	if p := ex[0].Path; p[0].Chain != chains.Bitcoin || p[len(p)-1].Chain != chains.Ethereum {
		t.Fatalf("path %+v; want bitcoin first, ethereum last", p)
	}
}

// TestPayoutReorg: a reorg that removes the payout block undoes the join
// exactly — the taint is parked at the router again and waits under the
// inbound id — and the payout mined again joins as before.
func TestPayoutReorg(t *testing.T) {
	l := routerAndExchange()
	e, s, p, _ := swapRig(t, tracer.Config{}, tracer.Deps{Labels: l})
	handle := func(typ chains.EventType, bs ...*chains.Block) { t.Helper(); feed(t, e, typ, bs...) }
	eb, bb, _ := world(p)
	openTheft(t, e, eb)
	handle(chains.Connected, eb...)
	handle(chains.Connected, bb[0])
	before, _ := e.Summary("inc")
	handle(chains.Connected, bb[1], bb[2])
	if len(s.Of(tracer.ExchangeDeposit)) != 1 {
		t.Fatal("no exchange finding before the reorg")
	}
	handle(chains.Disconnected, bb[2], bb[1])
	after, _ := e.Summary("inc")
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("after undoing the payout:\n%v\nwant\n%v", after, before)
	}
	if len(s.Retracted) == 0 {
		t.Fatal("the exchange finding was not retracted")
	}
	handle(chains.Connected, bb[1], bb[2])
	if n := len(s.Of(tracer.ExchangeDeposit)); n != 2 {
		t.Fatalf("exchange findings %d after the payout is mined again, want 2 (one retracted)", n)
	}
}

// TestBatchedPayouts: the router pays out two swaps in one transaction
// (two TransferOut events): both are joined.
func TestBatchedPayouts(t *testing.T) {
	dests := []string{"0x3000000000000000000000000000000000000011", "0x3000000000000000000000000000000000000012"}
	const ethEx = "0x3000000000000000000000000000000000000002"
	l := tracertest.Labels{
		"ethereum|" + router:  {Chain: chains.Ethereum, Address: router, Kind: watchlists.Bridge, Label: "THORChain router", Protocol: thorchain.Protocol, Owner: "shipped"},
		"bitcoin|" + btcVault: {Chain: chains.Bitcoin, Address: btcVault, Kind: watchlists.Bridge, Label: "THORChain vault", Protocol: thorchain.Protocol, Owner: "ops"},
		"ethereum|" + ethEx:   {Chain: chains.Ethereum, Address: ethEx, Kind: watchlists.Exchange, Label: "ETH exchange", Owner: "exch"},
	}
	e, s, p, connect := swapRig(t, tracer.Config{}, tracer.Deps{Labels: l})
	coin, theft := strings.Repeat("f0", 32), strings.Repeat("f1", 32)
	connect(btcBlock(1, p, chains.Tx{Hash: coin, Outputs: []chains.Output{{Index: 0, Value: 2_000_000, Address: "bc1qvictim", Class: chains.P2WPKH}}}))
	if err := e.OpenIncident(context.Background(), watchlists.Incident{ID: "inc", Chain: chains.Bitcoin, Status: watchlists.Open, Seeds: []watchlists.Seed{{Tx: theft}}}); err != nil {
		t.Fatal(err)
	}
	connect(btcBlock(2, p, chains.Tx{Hash: theft, Inputs: []chains.Input{{Prev: chains.Outpoint{Tx: coin, Index: 0}}},
		Outputs: []chains.Output{{Index: 0, Value: 900_000, Address: "bc1qthief", Class: chains.P2WPKH}, {Index: 1, Value: 1_000_000, Address: "bc1qthief", Class: chains.P2WPKH}}}))
	var swaps []chains.Tx
	for i, d := range dests {
		memo := "=:e:" + d + ":0"
		swaps = append(swaps, chains.Tx{Hash: strings.Repeat(fmt.Sprintf("f%d", 2+i), 32), Inputs: []chains.Input{{Prev: chains.Outpoint{Tx: theft, Index: uint32(i)}}},
			Outputs: []chains.Output{{Index: 0, Value: 800_000, Address: btcVault, Class: chains.P2WPKH},
				{Index: 1, Address: "op_return:" + hex.EncodeToString([]byte(memo)), Class: chains.NullData}}})
	}
	connect(btcBlock(3, p, swaps...))
	out := chains.Tx{Hash: "0x" + strings.Repeat("e5", 32), From: vault}
	for i, d := range dests {
		out.Transfers = append(out.Transfers, eth(vault, router, 3e17), chains.Transfer{Kind: chains.Internal, From: router, To: d, Asset: chains.ETH, Amount: big.NewInt(3e17)})
		out.Logs = append(out.Logs, thorchain.TransferOutLog(router, vault, d, thorchain.NativeAsset, big.NewInt(3e17), "OUT:"+strings.ToUpper(swaps[i].Hash)))
	}
	connect(ethBlock(1, out), ethBlock(2,
		chains.Tx{Hash: "0x" + strings.Repeat("e6", 32), From: dests[0], Transfers: []chains.Transfer{eth(dests[0], ethEx, 2e17)}},
		chains.Tx{Hash: "0x" + strings.Repeat("e7", 32), From: dests[1], Transfers: []chains.Transfer{eth(dests[1], ethEx, 2e17)}}))
	if ex := s.Of(tracer.ExchangeDeposit); len(ex) != 2 {
		t.Fatalf("exchange findings %+v; want both payouts' deposits", ex)
	}
}

// TestSwapThroughAggregator: the thief swaps through an aggregator (LI.FI's
// THORSwap facet: the thief pays the aggregator, which calls the router's
// deposit). The taint is parked at the aggregator, a trusted bridge entry
// of its own protocol; the router's Deposit event in the same transaction
// makes it a THORChain swap, and the Bitcoin payout carries it on to the
// exchange. A tenant's entry for the aggregator changes nothing: the
// taint goes through it to the router, as without the entry.
func TestSwapThroughAggregator(t *testing.T) {
	const diamond = "0x1231deb6f5749ef6ce6943a275a1d3e7486f4eae"
	for _, trusted := range []bool{true, false} {
		t.Run(fmt.Sprintf("trusted=%v", trusted), func(t *testing.T) {
			agg := watchlists.Entry{Chain: chains.Ethereum, Address: diamond, Kind: watchlists.Bridge, Label: "LI.FI Diamond", Protocol: "lifi", Owner: "shipped"}
			if !trusted {
				agg.Owner, agg.Untrusted = "tenant", true
			}
			l := tracertest.Labels{
				"ethereum|" + router:  {Chain: chains.Ethereum, Address: router, Kind: watchlists.Bridge, Label: "THORChain router", Protocol: thorchain.Protocol, Owner: "shipped"},
				"ethereum|" + diamond: agg,
				"bitcoin|" + btcEx:    {Chain: chains.Bitcoin, Address: btcEx, Kind: watchlists.Exchange, Label: "BTC exchange", Owner: "exch"},
			}
			e, s, p, _ := swapRig(t, tracer.Config{Dust: chainDust()}, tracer.Deps{Labels: l})
			eb, bb, swapTx := world(p)
			// The swap goes through the aggregator instead of straight to the router.
			eb[1].Txs[0].Transfers = []chains.Transfer{eth(thief, diamond, 8e17),
				{Kind: chains.Internal, From: diamond, To: router, Asset: chains.ETH, Amount: big.NewInt(8e17), Seq: 1},
				{Kind: chains.Internal, From: router, To: vault, Asset: chains.ETH, Amount: big.NewInt(8e17), Seq: 2}}
			if err := e.OpenIncident(context.Background(), watchlists.Incident{ID: "inc", Chain: chains.Ethereum, Status: watchlists.Open, Seeds: []watchlists.Seed{{Tx: eb[0].Txs[0].Hash}}}); err != nil {
				t.Fatal(err)
			}
			for _, b := range append(eb, bb...) {
				if err := e.Handle(context.Background(), chains.Event{Type: chains.Connected, Chain: b.Chain, Block: b, Ref: b.Ref}); err != nil {
					t.Fatal(err)
				}
			}
			ex := s.Live(tracer.ExchangeDeposit)
			if len(ex) != 1 || ex[0].Chain != chains.Bitcoin || ex[0].Tainted.Int64() != 39_000 {
				t.Fatalf("exchange findings %+v; want the Bitcoin deposit, 39,000 sat tainted", ex)
			}
			// Trusted, the taint is parked at the aggregator; a tenant's
			// entry changes nothing for tracking: the taint goes through
			// it and is parked at the router.
			parkedAt := diamond
			if !trusted {
				parkedAt = router
			}
			var found bool
			for _, h := range ex[0].Path {
				found = found || h.Tx == swapTx && h.To == parkedAt
			}
			if !found {
				t.Fatalf("path %+v; want the swap's hop to %s", ex[0].Path, parkedAt)
			}
		})
	}
}

// TestPartlyTaintedPayoutKeepsItsValue: a swap half tainted (the thief
// held as much clean ETH as stolen) pays out 40,000 sat on Bitcoin, 20,000
// of them tainted. The payout output is worth 40,000 sat, not its taint:
// its spend to the exchange (1,000 sat of fee) carries ⌊39,000 · 20,000 ÷
// 40,000⌋ = 19,500 by haircut — not 20,000, as when the output was taken
// to hold only its taint and the spend to pay no fee.
func TestPartlyTaintedPayoutKeepsItsValue(t *testing.T) {
	for _, order := range []string{"ethereum first", "bitcoin first"} {
		t.Run(order, func(t *testing.T) {
			l := routerAndExchange()
			e, s, p, connect := swapRig(t, tracer.Config{Dust: chainDust()}, tracer.Deps{Labels: l})
			eb, bb, _ := world(p)
			// The thief gets as much clean ETH right after the theft.
			eb[0].Txs = append(eb[0].Txs, chains.Tx{Hash: "0x" + strings.Repeat("12", 32), Index: 1, From: "0x2000000000000000000000000000000000000003",
				Transfers: []chains.Transfer{{Kind: chains.Native, From: "0x2000000000000000000000000000000000000003", To: thief, Asset: chains.ETH, Amount: big.NewInt(1e18), TxIndex: 1, LogIndex: -1}}})
			openTheft(t, e, eb)
			if order == "ethereum first" {
				connect(eb...)
				connect(bb...)
			} else {
				connect(bb[:2]...)
				connect(eb...)
				connect(bb[2])
			}
			if br := s.Of(tracer.BridgeDeposit); len(br) != 1 || br[0].Tainted.Int64() != 4e17 {
				t.Fatalf("bridge findings %+v; want the swap's, 0.4 of its 0.8 ETH tainted", br)
			}
			ex := s.Of(tracer.ExchangeDeposit)
			if len(ex) != 1 || ex[0].Amount.Int64() != 39_000 || ex[0].Tainted.Int64() != 19_500 {
				t.Fatalf("exchange findings %+v; want the deposit of 39,000 sat, 19,500 tainted", ex)
			}
		})
	}
}

// balances answers every address's balance at any block from a map.
type balances map[string]*big.Int

func (b balances) BalanceAt(_ context.Context, addr string, _ chains.Asset, _ uint64) (*big.Int, error) {
	if v, ok := b[addr]; ok {
		return v, nil
	}
	return new(big.Int), nil
}

// TestPayoutFirstOnEthereumCountsBalance: the swap back's payout (0.6 ETH,
// all of it tainted) is applied on Ethereum before its inbound on Bitcoin
// (the Bitcoin follower behind); the recipient held 0.2 ETH clean before.
// When the inbound joins, the recipient's balance is read on Ethereum (0.8
// ETH), so its deposit of 0.5 ETH at the exchange carries ⌊0.5 · 0.6 ÷ 0.8⌋
// = 0.375 ETH — not all of it, as when the balance was taken to be the
// taint alone.
func TestPayoutFirstOnEthereumCountsBalance(t *testing.T) {
	const ethDest, ethEx = "0x3000000000000000000000000000000000000001", "0x3000000000000000000000000000000000000002"
	l := tracertest.Labels{
		"ethereum|" + router:  {Chain: chains.Ethereum, Address: router, Kind: watchlists.Bridge, Label: "THORChain router", Protocol: thorchain.Protocol, Owner: "shipped"},
		"bitcoin|" + btcVault: {Chain: chains.Bitcoin, Address: btcVault, Kind: watchlists.Bridge, Label: "THORChain vault", Protocol: thorchain.Protocol, Owner: "ops"},
		"ethereum|" + ethEx:   {Chain: chains.Ethereum, Address: ethEx, Kind: watchlists.Exchange, Label: "ETH exchange", Owner: "exch"},
	}
	s := &tracertest.Sink{}
	p := prevouts{}
	e := swapEngine(t, tracer.Config{}, tracer.Deps{Labels: l, Sink: s, Prevouts: p,
		Balances: balances{ethDest: big.NewInt(8e17)}}) // after the payout
	connect := func(bs ...*chains.Block) { t.Helper(); feed(t, e, chains.Connected, bs...) }
	theft, swap := strings.Repeat("d1", 32), strings.Repeat("d2", 32)
	b1 := btcBlock(1, p, chains.Tx{Hash: strings.Repeat("d0", 32), Outputs: []chains.Output{{Index: 0, Value: 2_000_000, Address: "bc1qvictim", Class: chains.P2WPKH}}})
	b2 := btcBlock(2, p, chains.Tx{Hash: theft, Inputs: []chains.Input{{Prev: chains.Outpoint{Tx: strings.Repeat("d0", 32), Index: 0}}},
		Outputs: []chains.Output{{Index: 0, Value: 1_990_000, Address: "bc1qthief", Class: chains.P2WPKH}}})
	b3 := btcBlock(3, p, chains.Tx{Hash: swap, Inputs: []chains.Input{{Prev: chains.Outpoint{Tx: theft, Index: 0}}},
		Outputs: []chains.Output{
			{Index: 0, Value: 1_980_000, Address: btcVault, Class: chains.P2WPKH},
			{Index: 1, Address: "op_return:" + hex.EncodeToString([]byte("=:e:"+ethDest+":0")), Class: chains.NullData},
		}})
	out := ethBlock(1, chains.Tx{Hash: "0x" + strings.Repeat("e1", 32), From: vault,
		Transfers: []chains.Transfer{eth(vault, router, 6e17), {Kind: chains.Internal, From: router, To: ethDest, Asset: chains.ETH, Amount: big.NewInt(6e17)}},
		Logs:      []chains.Log{thorchain.TransferOutLog(router, vault, ethDest, thorchain.NativeAsset, big.NewInt(6e17), "OUT:"+strings.ToUpper(swap))}})
	dep := ethBlock(2, chains.Tx{Hash: "0x" + strings.Repeat("e2", 32), From: ethDest, Transfers: []chains.Transfer{eth(ethDest, ethEx, 5e17)}})
	connect(b1)
	inc := watchlists.Incident{ID: "inc", Chain: chains.Bitcoin, Status: watchlists.Open, Seeds: []watchlists.Seed{{Tx: theft}}}
	if err := e.OpenIncident(context.Background(), inc); err != nil {
		t.Fatal(err)
	}
	connect(b2, out, b3, dep) // the payout before its inbound
	ex := s.Of(tracer.ExchangeDeposit)
	if len(ex) != 1 || ex[0].Amount.Int64() != 5e17 || ex[0].Tainted.Int64() != 375e15 {
		t.Fatalf("exchange findings %+v; want the deposit of 0.5 ETH, 0.375 tainted", ex)
	}
	// The payout's hop is the TransferOut on Ethereum, though joined on
	// Bitcoin.
	if p := ex[0].Path; len(p) < 2 || p[len(p)-2].Chain != chains.Ethereum || p[len(p)-2].Tx != out.Txs[0].Hash || p[len(p)-2].To != ethDest {
		t.Fatalf("path %+v; want the TransferOut to %s on ethereum before the deposit", p, ethDest)
	}
}

// TestSecondPayoutToHolderCountsOnce: two swaps back pay the same Ethereum
// address 0.3 ETH each, all of it tainted. The first joins as it is
// applied; the second's payout is applied before its inbound, as a clean
// inflow to the address's holding (0.6 ETH, 0.3 tainted). Its join adds
// the taint only — the 0.3 ETH are in the balance already — so the
// address's deposit of 0.3 ETH is all tainted, not two thirds of it.
func TestSecondPayoutToHolderCountsOnce(t *testing.T) {
	const ethDest, ethEx = "0x3000000000000000000000000000000000000001", "0x3000000000000000000000000000000000000002"
	l := tracertest.Labels{
		"ethereum|" + router:  {Chain: chains.Ethereum, Address: router, Kind: watchlists.Bridge, Label: "THORChain router", Protocol: thorchain.Protocol, Owner: "shipped"},
		"bitcoin|" + btcVault: {Chain: chains.Bitcoin, Address: btcVault, Kind: watchlists.Bridge, Label: "THORChain vault", Protocol: thorchain.Protocol, Owner: "ops"},
		"ethereum|" + ethEx:   {Chain: chains.Ethereum, Address: ethEx, Kind: watchlists.Exchange, Label: "ETH exchange", Owner: "exch"},
	}
	e, s, p, connect := swapRig(t, tracer.Config{}, tracer.Deps{Labels: l, Balances: balances{}})
	memo := "op_return:" + hex.EncodeToString([]byte("=:e:"+ethDest+":0"))
	theft, swap1, swap2 := strings.Repeat("d1", 32), strings.Repeat("d2", 32), strings.Repeat("d3", 32)
	b1 := btcBlock(1, p, chains.Tx{Hash: strings.Repeat("d0", 32), Outputs: []chains.Output{{Index: 0, Value: 2_000_000, Address: "bc1qvictim", Class: chains.P2WPKH}}})
	b2 := btcBlock(2, p, chains.Tx{Hash: theft, Inputs: []chains.Input{{Prev: chains.Outpoint{Tx: strings.Repeat("d0", 32), Index: 0}}},
		Outputs: []chains.Output{{Index: 0, Value: 1_990_000, Address: "bc1qthief", Class: chains.P2WPKH}}})
	b3 := btcBlock(3, p, chains.Tx{Hash: swap1, Inputs: []chains.Input{{Prev: chains.Outpoint{Tx: theft, Index: 0}}},
		Outputs: []chains.Output{
			{Index: 0, Value: 990_000, Address: btcVault, Class: chains.P2WPKH},
			{Index: 1, Address: memo, Class: chains.NullData},
			{Index: 2, Value: 1_000_000, Address: "bc1qthief2", Class: chains.P2WPKH},
		}})
	b4 := btcBlock(4, p, chains.Tx{Hash: swap2, Inputs: []chains.Input{{Prev: chains.Outpoint{Tx: swap1, Index: 2}}},
		Outputs: []chains.Output{
			{Index: 0, Value: 990_000, Address: btcVault, Class: chains.P2WPKH},
			{Index: 1, Address: memo, Class: chains.NullData},
		}})
	transferOut := func(n uint64, inbound string) *chains.Block {
		return ethBlock(n, chains.Tx{Hash: fmt.Sprintf("0x%064x", n), From: vault,
			Transfers: []chains.Transfer{eth(vault, router, 3e17), {Kind: chains.Internal, From: router, To: ethDest, Asset: chains.ETH, Amount: big.NewInt(3e17)}},
			Logs:      []chains.Log{thorchain.TransferOutLog(router, vault, ethDest, thorchain.NativeAsset, big.NewInt(3e17), "OUT:"+strings.ToUpper(inbound))}})
	}
	dep := ethBlock(3, chains.Tx{Hash: "0x" + strings.Repeat("e3", 32), From: ethDest, Transfers: []chains.Transfer{eth(ethDest, ethEx, 3e17)}})
	connect(b1)
	inc := watchlists.Incident{ID: "inc", Chain: chains.Bitcoin, Status: watchlists.Open, Seeds: []watchlists.Seed{{Tx: theft}}}
	if err := e.OpenIncident(context.Background(), inc); err != nil {
		t.Fatal(err)
	}
	connect(b2, b3, transferOut(1, swap1), transferOut(2, swap2), b4, dep)
	ex := s.Of(tracer.ExchangeDeposit)
	if len(ex) != 1 || ex[0].Amount.Int64() != 3e17 || ex[0].Tainted.Int64() != 3e17 {
		t.Fatalf("exchange findings %+v; want the deposit of 0.3 ETH, all of it tainted", ex)
	}
}
