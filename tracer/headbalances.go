package tracer

import (
	"context"
	"math/big"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

// headBalances holds the node's balances at one block, the newest the
// transfer index held when they were read, for the receivers a catch-up
// is about to make holders of: the clean-balance read (the balance at the
// head minus the index's flows since, tindex.go) then finds its node call
// answered. Any other balance, or one asked at another block (the index
// grew meanwhile), goes to the node as before.
type headBalances struct {
	node  chains.BalanceReader
	block uint64
	hash  string // the engine's block at block when read ("" if final)
	bals  map[hkey]*big.Int
}

// BalanceAt answers from the balances read ahead, else from the node.
func (h *headBalances) BalanceAt(ctx context.Context, addr string, asset chains.Asset, block uint64) (*big.Int, error) {
	if block == h.block {
		if bal, ok := h.bals[acctKey(addr, asset.Key())]; ok {
			return new(big.Int).Set(bal), nil
		}
	}
	return h.node.BalanceAt(ctx, addr, asset, block)
}

// valid reports whether the block the balances were read at is still the
// engine's block at that height. Call with e.mu held.
func (h *headBalances) valid(cs *chainState) bool {
	if h.hash == "" {
		return true
	}
	j := cs.journals[h.block]
	return j == nil || j.ref.Hash == h.hash // nil: pruned, so final
}

// readHeadBalances reads in batches (chains.BatchBalanceReader) the node's
// balances, at the newest indexed block, of the addresses that blocks
// would make new holders of inc, as far as the state before them tells:
// receivers of seeded transfers, of transfers from inc's holders and of
// transfers from such receivers earlier in blocks. It returns nil when
// there is nothing to read ahead or the node cannot batch; a failed read
// is logged and left to the calls it would have saved, which fail the same
// way with their own error.
func (e *Engine) readHeadBalances(ctx context.Context, inc *incident, blocks []*chains.Block) *headBalances {
	if len(blocks) == 0 || !e.readsAhead(ctx, inc, blocks[0].Ref.Number, blocks[len(blocks)-1].Ref.Number) {
		return nil
	}
	node := e.deps.Balances.(chains.BatchBalanceReader)
	_, last, _, err := e.idx.covered(ctx, inc.def.Chain)
	if err != nil {
		return nil
	}
	e.mu.Lock()
	cs := e.chainState(inc.def.Chain)
	if cs.utxo || inc.policy == watchlists.Poison || inc.rt.closed {
		e.mu.Unlock()
		return nil
	}
	qs := newHolders(cs, inc, blocks)
	h := &headBalances{node: e.deps.Balances, block: last, bals: make(map[hkey]*big.Int, len(qs))}
	if j := cs.journals[last]; j != nil {
		h.hash = j.ref.Hash
	}
	e.mu.Unlock()
	if len(qs) == 0 {
		return nil
	}
	bals, err := node.BalancesAt(ctx, qs, last)
	if err != nil {
		e.log.Warn("catch-up: reading head balances ahead failed; reading them one by one", "incident", inc.def.ID, "chain", inc.def.Chain, "block", last, "err", err)
		return nil
	}
	for i, q := range qs {
		h.bals[acctKey(q.Address, q.Asset.Key())] = bals[i]
	}
	return h
}

// readsAhead reports whether a catch-up of inc reads the head balances of
// blocks from..to ahead: the node batches and the transfer index holds
// them, so that the clean-balance read asks the node at its newest block
// (otherwise it asks at the block itself).
func (e *Engine) readsAhead(ctx context.Context, inc *incident, from, to uint64) bool {
	if _, ok := e.deps.Balances.(chains.BatchBalanceReader); !ok || e.idx == nil || inc.def.Chain == chains.Bitcoin {
		return false
	}
	first, last, covered, err := e.idx.covered(ctx, inc.def.Chain)
	return err == nil && covered && from >= first && to <= last
}

// newHolders lists the receivers blocks would make new holders of inc
// (see readHeadBalances), each once. Call with e.mu held.
func newHolders(cs *chainState, inc *incident, blocks []*chains.Block) []chains.BalanceQuery {
	reached := map[hkey]bool{}
	var qs []chains.BalanceQuery
	for _, b := range blocks {
		for i := range b.Txs {
			tx := &b.Txs[i]
			if tx.Failed {
				continue
			}
			victim := ""
			if inc.seedTx[tx.Hash] && len(tx.Transfers) > 0 {
				victim = victimOf(tx)
			}
			for k := range tx.Transfers {
				t := &tx.Transfers[k]
				if t.Kind == chains.Fee || t.Kind == chains.NFT || t.Amount == nil || t.Amount.Sign() <= 0 ||
					t.From == t.To || t.To == "" || t.To == burnAddress || t.To == chains.FeeSink {
					continue
				}
				asset := t.Asset.Key()
				src, dst := acctKey(t.From, asset), acctKey(t.To, asset)
				from, seed := inc.seedAddr[t.From]
				if !(victim != "" && t.From == victim || seed && b.Ref.Number >= from || reached[src] || cs.get(src, inc) != 0) {
					continue
				}
				if reached[dst] {
					continue
				}
				if _, ok := toAddr20(t.To, false); !ok {
					continue
				}
				reached[dst] = true
				if cs.get(dst, inc) == 0 {
					qs = append(qs, chains.BalanceQuery{Address: t.To, Asset: t.Asset})
				}
			}
		}
	}
	return qs
}
