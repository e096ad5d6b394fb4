package csvsource

import (
	"context"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

// TestCSVBalancesAgreeWithASum checks the indexed BalanceAt against the
// plain sum of the file's flows up to each block, for every address,
// asset and block of a random export.
func TestCSVBalancesAgreeWithASum(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	addrs := []string{"0xa", "0xb", "0xc", "0xd"}
	assets := []chains.Asset{{Symbol: "ETH", Decimals: 18}, {Symbol: "TOK", Contract: "0xt", Decimals: 6}}
	rp := &File{Chain: chains.Ethereum}
	for n := uint64(10); n < 60; n += 1 + uint64(r.IntN(3)) {
		b := &chains.Block{Ref: chains.BlockRef{Number: n}}
		for range r.IntN(4) {
			tx := chains.Tx{}
			for range 1 + r.IntN(3) {
				tx.Transfers = append(tx.Transfers, chains.Transfer{
					From: addrs[r.IntN(len(addrs))], To: addrs[r.IntN(len(addrs))],
					Asset: assets[r.IntN(len(assets))], Amount: big.NewInt(int64(r.IntN(1000))),
				})
			}
			b.Txs = append(b.Txs, tx)
		}
		rp.Blocks = append(rp.Blocks, b)
	}
	sum := func(addr string, asset chains.Asset, n uint64) *big.Int {
		v := new(big.Int)
		for _, b := range rp.Blocks {
			if b.Ref.Number > n {
				break
			}
			for _, tx := range b.Txs {
				for _, t := range tx.Transfers {
					if t.Asset.Key() != asset.Key() {
						continue
					}
					if t.To == addr {
						v.Add(v, t.Amount)
					}
					if t.From == addr {
						v.Sub(v, t.Amount)
					}
				}
			}
		}
		if v.Sign() < 0 {
			v.SetInt64(0)
		}
		return v
	}
	bal := rp.Balances()
	for _, a := range append(addrs, "0xnobody") {
		for _, as := range assets {
			for n := uint64(0); n < 65; n++ {
				got, err := bal.BalanceAt(context.Background(), a, as, n)
				if err != nil {
					t.Fatal(err)
				}
				if want := sum(a, as, n); got.Cmp(want) != 0 {
					t.Fatalf("%s %s at %d: got %s, want %s", a, as.Key(), n, got, want)
				}
			}
		}
	}
}

