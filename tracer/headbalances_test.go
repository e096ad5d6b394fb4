package tracer

import (
	"context"
	"math/big"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

// nodeBalances answers every balance with 7 and counts its calls.
type nodeBalances struct{ calls int }

func (n *nodeBalances) BalanceAt(context.Context, string, chains.Asset, uint64) (*big.Int, error) {
	n.calls++
	return big.NewInt(7), nil
}

// TestHeadBalancesAnswerOnlyTheirBlock: balances read ahead answer only
// the address, asset and block they were read for, as copies; anything
// else goes to the node; a reorg of their block voids them.
func TestHeadBalancesAnswerOnlyTheirBlock(t *testing.T) {
	const a, b = "0x00000000000000000000000000000000000000aa", "0x00000000000000000000000000000000000000bb"
	token := chains.Asset{Contract: "0x00000000000000000000000000000000000000cc"}
	node := &nodeBalances{}
	h := &headBalances{node: node, block: 100, hash: "0x01", bals: map[hkey]*big.Int{acctKey(a, ""): big.NewInt(5)}}
	ctx := context.Background()
	got, err := h.BalanceAt(ctx, a, chains.ETH, 100)
	if err != nil || got.Int64() != 5 || node.calls != 0 {
		t.Fatalf("read ahead: %v, %v, %d node calls", got, err, node.calls)
	}
	got.SetInt64(0) // the caller's copy
	for _, q := range []struct {
		addr  string
		asset chains.Asset
		block uint64
	}{{a, chains.ETH, 101}, {a, token, 100}, {b, chains.ETH, 100}} {
		if got, err := h.BalanceAt(ctx, q.addr, q.asset, q.block); err != nil || got.Int64() != 7 {
			t.Errorf("%s %s at %d: %v, %v; want the node's 7", q.addr, q.asset.Key(), q.block, got, err)
		}
	}
	if got, _ := h.BalanceAt(ctx, a, chains.ETH, 100); got.Int64() != 5 || node.calls != 3 {
		t.Errorf("read ahead again: %v with %d node calls, want 5 with 3", got, node.calls)
	}

	cs := newChainState(chains.Ethereum, newArena())
	if !h.valid(cs) {
		t.Error("void with its block pruned (final)")
	}
	cs.journals[100] = newJournal(chains.BlockRef{Number: 100, Hash: "0x01"})
	if !h.valid(cs) {
		t.Error("void with its block in place")
	}
	cs.journals[100] = newJournal(chains.BlockRef{Number: 100, Hash: "0x02"})
	if h.valid(cs) {
		t.Error("valid after a reorg replaced its block")
	}
}
