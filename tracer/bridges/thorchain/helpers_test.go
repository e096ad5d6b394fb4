package thorchain_test

import (
	"context"
	"fmt"
	"math/big"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
	"github.com/chainhound/chainhound/tracer/tracertest"
	"github.com/chainhound/chainhound/watchlists"
)

// routerABI is the Deposit and TransferOut entries of THORChain's router
// ABI (testdata/README.md).
func routerABI(t testing.TB) abi.ABI {
	return tracertest.ReadABI(t, filepath.Join("testdata", "router_events.abi.json"))
}

// loadLog reads a JSON-RPC log from testdata into chainhound's Log.
func loadLog(t testing.TB, name string) (chains.Log, string) {
	return tracertest.ReadLog(t, filepath.Join("testdata", name))
}

func unhex(t testing.TB, s string) []byte { return tracertest.Unhex(t, s) }

// word is a 32-byte big-endian word holding v.
func word(v uint64) [32]byte {
	var w [32]byte
	for i := 0; i < 8; i++ {
		w[31-i] = byte(v >> (8 * i))
	}
	return w
}

// addrWord is an address as an indexed topic.
func addrWord(t testing.TB, a string) [32]byte {
	var w [32]byte
	copy(w[12:], unhex(t, a))
	return w
}

func fmtAny(v any) string { return fmt.Sprint(v) }

// swapEngine is the engine the recogniser's tests drive: deps with the
// recogniser on deps.Labels, closed when the test ends.
func swapEngine(t testing.TB, cfg tracer.Config, deps tracer.Deps) *tracer.Engine {
	t.Helper()
	deps.Recognisers = append(deps.Recognisers, thorchain.New(deps.Labels, nil))
	e, err := tracer.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// feed hands bs to e as events of typ, in order.
func feed(t testing.TB, e *tracer.Engine, typ chains.EventType, bs ...*chains.Block) {
	t.Helper()
	for _, b := range bs {
		if err := e.Handle(context.Background(), chains.Event{Type: typ, Chain: b.Chain, Block: b, Ref: b.Ref}); err != nil {
			t.Fatalf("%v %s block %d: %v", typ, b.Chain, b.Ref.Number, err)
		}
	}
}

// swapRig is how most swap tests start: the engine (swapEngine) with a
// sink and the prevouts the Bitcoin blocks register, and connect, which
// feeds blocks to it as Connected events.
func swapRig(t testing.TB, cfg tracer.Config, deps tracer.Deps) (*tracer.Engine, *tracertest.Sink, prevouts, func(...*chains.Block)) {
	t.Helper()
	s, p := &tracertest.Sink{}, prevouts{}
	deps.Sink, deps.Prevouts = s, p
	e := swapEngine(t, cfg, deps)
	connect := func(bs ...*chains.Block) { t.Helper(); feed(t, e, chains.Connected, bs...) }
	return e, s, p, connect
}

// openTheft opens incident "inc" on Ethereum, seeded with the theft (the
// first transaction of eb[0]), and returns it.
func openTheft(t testing.TB, e *tracer.Engine, eb []*chains.Block) watchlists.Incident {
	t.Helper()
	inc := watchlists.Incident{ID: "inc", Chain: chains.Ethereum, Status: watchlists.Open, Seeds: []watchlists.Seed{{Tx: eb[0].Txs[0].Hash}}}
	if err := e.OpenIncident(context.Background(), inc); err != nil {
		t.Fatal(err)
	}
	return inc
}

// routerAndExchange labels the router (shipped, thorchain) and the Bitcoin
// exchange of the swap world.
func routerAndExchange() tracertest.Labels {
	return tracertest.Labels{
		"ethereum|" + router: {Chain: chains.Ethereum, Address: router, Kind: watchlists.Bridge, Label: "THORChain router", Protocol: thorchain.Protocol, Owner: "shipped"},
		"bitcoin|" + btcEx:   {Chain: chains.Bitcoin, Address: btcEx, Kind: watchlists.Exchange, Label: "BTC exchange", Owner: "exch"},
	}
}

// chainDust is each chain's dust floor in its own unit: 10^15 wei, 1,000 sat.
func chainDust() map[chains.Chain]*big.Int {
	return map[chains.Chain]*big.Int{chains.Ethereum: big.NewInt(1e15), chains.Bitcoin: big.NewInt(1000)}
}
