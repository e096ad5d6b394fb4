package thorchain_test

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store/pebble"
	"github.com/chainhound/chainhound/tracer"
	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
	"github.com/chainhound/chainhound/tracer/tracertest"
	"github.com/chainhound/chainhound/watchlists"
)

// One order across chains (tracer/rewind.go): the swap's two legs on two
// chains, applied and undone in every order, leave the state the blocks
// on the canonical chains give, whatever order they were applied in.

// orderRig is an engine on a pebble store with the swap world of
// recogniser_test.go, its Bitcoin blocks served as a node would.
type orderRig struct {
	t      *testing.T
	e      *tracer.Engine
	st     *pebble.Store
	sink   *tracertest.Sink
	eb, bb []*chains.Block
}

func newOrderRig(t *testing.T) *orderRig {
	t.Helper()
	l := tracertest.Labels{
		"ethereum|" + router: {Chain: chains.Ethereum, Address: router, Kind: watchlists.Bridge, Label: "THORChain router", Protocol: thorchain.Protocol, Owner: "shipped"},
		"bitcoin|" + btcEx:   {Chain: chains.Bitcoin, Address: btcEx, Kind: watchlists.Exchange, Label: "BTC exchange", Owner: "exch"},
	}
	p := prevouts{}
	eb, bb, _ := world(p)
	st, err := pebble.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &orderRig{t: t, st: st, sink: &tracertest.Sink{}, eb: eb, bb: bb}
	dust := map[chains.Chain]*big.Int{chains.Ethereum: big.NewInt(1e15), chains.Bitcoin: big.NewInt(1000)}
	r.e, err = tracer.New(tracer.Config{Dust: dust}, tracer.Deps{Labels: l, Sink: r.sink, Prevouts: p, Store: st,
		Sources:     map[chains.Chain]chains.BlockSource{chains.Ethereum: tracertest.NewBlocks(eb...), chains.Bitcoin: tracertest.NewBlocks(bb...)},
		Recognisers: []tracer.Recogniser{thorchain.New(l, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.e.Close() })
	openTheft(t, r.e, eb)
	return r
}

func (r *orderRig) handle(typ chains.EventType, bs ...*chains.Block) {
	r.t.Helper()
	for _, b := range bs {
		if err := r.e.Handle(context.Background(), chains.Event{Type: typ, Chain: b.Chain, Block: b, Ref: b.Ref}); err != nil {
			r.t.Fatal(err)
		}
	}
}

// stored is the tracer's stored state but its journals (which record the
// order blocks came in).
func (r *orderRig) stored() string {
	r.t.Helper()
	var b strings.Builder
	err := r.st.ScanTracer(context.Background(), func(k, v []byte) error {
		if !bytes.HasPrefix(k, []byte("j/")) {
			fmt.Fprintf(&b, "%s = %x\n", k, v)
		}
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return b.String()
}

// live is the exchange deposits raised and not retracted since.
func (r *orderRig) live() []tracer.Finding { return r.sink.Live(tracer.ExchangeDeposit) }

func (r *orderRig) wantDeposit(tainted int64) {
	r.t.Helper()
	ex := r.live()
	if tainted == 0 {
		if len(ex) != 0 {
			r.t.Fatalf("live exchange findings %+v; want none", ex)
		}
		return
	}
	if len(ex) != 1 || ex[0].Chain != chains.Bitcoin || ex[0].Tainted.Int64() != tainted {
		r.t.Fatalf("live exchange findings %+v; want one on bitcoin, %d sat tainted", ex, tainted)
	}
	if p := ex[0].Path; len(p) < 4 || p[0].Chain != chains.Ethereum || p[len(p)-1].Chain != chains.Bitcoin {
		r.t.Fatalf("path %+v; want it to start on ethereum and end on bitcoin", p)
	}
}

// reference is the state the engine holds after applying bs in order.
func reference(t *testing.T, bs func(r *orderRig) []*chains.Block) string {
	r := newOrderRig(t)
	r.handle(chains.Connected, bs(r)...)
	return r.stored()
}

// payoutThenSwapThenSpend is the order in which nothing has to be applied
// again: the payout waits for the swap, the spend comes after the join.
// (The swap applied first would name the taint's hop in the payout's
// transaction rather than the swap's: another state, as valid.)
func payoutThenSwapThenSpend(r *orderRig) []*chains.Block {
	return []*chains.Block{r.eb[0], r.bb[0], r.bb[1], r.eb[1], r.bb[2]}
}

// TestPayoutSpentBeforeInbound: the Bitcoin follower is ahead — the payout
// and the spend of its output at the exchange are applied before the
// Ethereum swap. The swap, once applied, moves its taint to the payout and
// the engine applies the later Bitcoin blocks again, so the exchange
// deposit already seen is found tainted; the state is the one of the
// order where the spend comes after the swap.
func TestPayoutSpentBeforeInbound(t *testing.T) {
	r := newOrderRig(t)
	r.handle(chains.Connected, r.bb...)
	r.wantDeposit(0)
	r.handle(chains.Connected, r.eb...)
	r.wantDeposit(39_000)
	if got, want := r.stored(), reference(t, payoutThenSwapThenSpend); got != want {
		t.Fatalf("state after the swap joined its spent payout:\n%s\nwant (the spend after the swap):\n%s", got, want)
	}
}

// TestInboundReorgAfterJoin: the swap's block is reorged out after its
// payout joined and the payout's output was spent. The payout and the
// spend are applied again after it: no taint reaches Bitcoin, the state is
// the one of a world without the swap, and the exchange finding is
// retracted. The swap mined again joins as before.
func TestInboundReorgAfterJoin(t *testing.T) {
	r := newOrderRig(t)
	r.handle(chains.Connected, r.eb...)
	r.handle(chains.Connected, r.bb...)
	r.wantDeposit(39_000)
	r.handle(chains.Disconnected, r.eb[1])
	r.wantDeposit(0)
	noSwap := reference(t, func(r *orderRig) []*chains.Block { return append([]*chains.Block{r.eb[0]}, r.bb...) })
	if got := r.stored(); got != noSwap {
		t.Fatalf("state after undoing the swap:\n%s\nwant (never swapped):\n%s", got, noSwap)
	}
	// The payout is reorged out too (deepest first on its chain): nothing
	// of the swap comes back.
	r.handle(chains.Disconnected, r.bb[2], r.bb[1])
	none := reference(t, func(r *orderRig) []*chains.Block { return []*chains.Block{r.eb[0], r.bb[0]} })
	if got := r.stored(); got != none {
		t.Fatalf("state after undoing swap and payout:\n%s\nwant:\n%s", got, none)
	}
	// Both mined again, the swap last.
	r.handle(chains.Connected, r.bb[1], r.bb[2], r.eb[1])
	r.wantDeposit(39_000)
	if got, want := r.stored(), reference(t, payoutThenSwapThenSpend); got != want {
		t.Fatalf("state after mining both again:\n%s\nwant (the spend after the swap):\n%s", got, want)
	}
}
