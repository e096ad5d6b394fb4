package chainstest

import (
	"context"
	"math/big"

	"github.com/chainhound/chainhound/chains"
)

// Ledger answers BalanceAt (a tracer's balance source) from a test's own
// blocks: an address holds its Opening balance plus what the Blocks up to
// the height moved to it, less what they moved out (every asset alike;
// amounts fit an int64).
type Ledger struct {
	Opening map[string]int64
	Blocks  []*chains.Block
}

// BalanceAt returns addr's balance after block n.
func (l *Ledger) BalanceAt(_ context.Context, addr string, _ chains.Asset, n uint64) (*big.Int, error) {
	v := l.Opening[addr]
	for _, b := range l.Blocks {
		if b.Ref.Number > n {
			break
		}
		for _, tx := range b.Txs {
			for _, t := range tx.Transfers {
				if t.To == addr {
					v += t.Amount.Int64()
				}
				if t.From == addr {
					v -= t.Amount.Int64()
				}
			}
		}
	}
	return big.NewInt(v), nil
}
