package csvsource

import (
	"context"
	"math/big"
	"sort"
	"sync"

	"github.com/chainhound/chainhound/chains"
)

// Balances answers BalanceAt from the file itself: the flows of an
// address up to and including the block asked (an export holds no earlier
// history, so the clean part is what the file shows).
func (rp *File) Balances() chains.BalanceReader { return &csvBalances{rp: rp} }

// csvBalances indexes the file's flows once, per address and asset, as
// running sums by block, so that each BalanceAt is a binary search.
type csvBalances struct {
	rp    *File
	once  sync.Once
	flows map[balanceKey][]balancePoint
}

type balanceKey struct{ addr, asset string }

// balancePoint is the sum of an address's flows up to and including block.
type balancePoint struct {
	block uint64
	sum   *big.Int
}

func (c *csvBalances) index() {
	c.flows = map[balanceKey][]balancePoint{}
	add := func(addr, asset string, block uint64, delta *big.Int, sub bool) {
		k := balanceKey{addr, asset}
		pts := c.flows[k]
		if len(pts) == 0 || pts[len(pts)-1].block != block {
			sum := new(big.Int)
			if len(pts) > 0 {
				sum.Set(pts[len(pts)-1].sum)
			}
			pts = append(pts, balancePoint{block: block, sum: sum})
		}
		if last := pts[len(pts)-1].sum; sub {
			last.Sub(last, delta)
		} else {
			last.Add(last, delta)
		}
		c.flows[k] = pts
	}
	for _, b := range c.rp.Blocks {
		for _, tx := range b.Txs {
			for _, t := range tx.Transfers {
				asset := t.Asset.Key()
				add(t.To, asset, b.Ref.Number, t.Amount, false)
				add(t.From, asset, b.Ref.Number, t.Amount, true)
			}
		}
	}
}

func (c *csvBalances) BalanceAt(_ context.Context, addr string, asset chains.Asset, n uint64) (*big.Int, error) {
	c.once.Do(c.index)
	pts := c.flows[balanceKey{addr, asset.Key()}]
	i := sort.Search(len(pts), func(i int) bool { return pts[i].block > n }) - 1
	v := new(big.Int)
	if i >= 0 && pts[i].sum.Sign() > 0 {
		v.Set(pts[i].sum)
	}
	return v, nil
}

// Prevouts resolves spent outpoints from the outputs the file creates, or
// the amounts its input rows carry.
func (rp *File) Prevouts() chains.PrevoutResolver {
	outs := map[chains.Outpoint]chains.Output{}
	for _, b := range rp.Blocks {
		for _, tx := range b.Txs {
			for _, o := range tx.Outputs {
				outs[chains.Outpoint{Tx: tx.Hash, Index: o.Index}] = o
			}
		}
	}
	return csvPrevouts{outs: outs, values: rp.inputValue}
}

type csvPrevouts struct {
	outs   map[chains.Outpoint]chains.Output
	values map[chains.Outpoint]int64
}

func (p csvPrevouts) Prevouts(_ context.Context, ops []chains.Outpoint) ([]chains.Output, error) {
	res := make([]chains.Output, len(ops))
	for i, op := range ops {
		if o, ok := p.outs[op]; ok {
			res[i] = o
		} else {
			res[i] = chains.Output{Index: op.Index, Value: p.values[op]}
		}
	}
	return res, nil
}
