package csvsource

import (
	"context"
	"errors"
	"io/fs"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
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

// TestReadBitcoin reads inputs and outputs into blocks: an input
// spending an output of the file is resolved from it, an input from
// outside the file keeps its row's amount for Prevouts.
func TestReadBitcoin(t *testing.T) {
	const (
		theft = "1111111111111111111111111111111111111111111111111111111111111111"
		spend = "2222222222222222222222222222222222222222222222222222222222222222"
		outer = "3333333333333333333333333333333333333333333333333333333333333333"
	)
	p := filepath.Join(t.TempDir(), "t.csv")
	body := "block,time,tx,index,from,to,asset,amount\n" +
		"800000,1700000000," + theft + ",0," + outer + ":1,,BTC,100000\n" +
		"800000,1700000000," + theft + ",0,,thief,BTC,99000\n" +
		"800001,1700000600," + spend + ",0," + theft + ":0,,BTC,99000\n" +
		"800001,1700000600," + spend + ",0,,other,BTC,98000\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Read(p, chains.Bitcoin)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Blocks) != 2 || f.Blocks[1].Txs[0].Inputs[0].Address != "thief" || !f.Blocks[1].Txs[0].Inputs[0].Resolved {
		t.Fatalf("blocks %+v", f.Blocks)
	}
	if !f.HasTx(strings.ToUpper(spend)) || f.HasTx(outer) || !f.Pays("thief", 800000) || f.Pays("nobody", 0) || f.Pays("thief", 800002) {
		t.Fatal("HasTx or Pays")
	}
	outs, err := f.Prevouts().Prevouts(context.Background(), []chains.Outpoint{{Tx: outer, Index: 1}, {Tx: theft, Index: 0}})
	if err != nil || outs[0].Value != 100000 || outs[1].Address != "thief" || outs[1].Value != 99000 {
		t.Fatalf("prevouts %+v, %v", outs, err)
	}

	if err := os.WriteFile(p, []byte(body+"800001,1700000600,"+spend+",0,,,BTC,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Read(p, chains.Bitcoin)
	var fe *Error
	if !errors.As(err, &fe) || fe.Line != 6 || fe.Path != p || !strings.HasPrefix(err.Error(), p+" line 6: a Bitcoin row is") {
		t.Fatalf("bad row: %v", err)
	}
	var pe *fs.PathError
	if _, err := Read(p+".absent", chains.Bitcoin); !errors.As(err, &pe) {
		t.Fatalf("absent file: %v", err)
	}
}
