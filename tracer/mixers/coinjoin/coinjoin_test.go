package coinjoin_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/bitcoin"
	"github.com/chainhound/chainhound/tracer/mixers/coinjoin"
)

func realBlock(t *testing.T, file string, height uint64) *chains.Block {
	t.Helper()
	raw, err := os.ReadFile("../../../chains/bitcoin/testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bitcoin.DecodeBlock(raw, height, nil, &chaincfg.MainNetParams)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRealBlocks pins what the rules find in two real mainnet blocks (the
// Bitcoin follower's fixtures): seven Whirlpool mixes (5 in, 5 out, pools
// of 0.001 and 0.01 BTC) and one Wasabi 1 round (100 inputs, 122 outputs
// around 0.1 BTC) in block 702,861; two JoinMarket-like joins in block
// 413,567 (2016, before Wasabi and Whirlpool existed); nothing else among
// their 4,057 transactions.
func TestRealBlocks(t *testing.T) {
	want := map[string]coinjoin.Join{
		"d6b212a663c85b03fb391fe69c59520e61b8a5970678ef7f376889a145e215a6": {Kind: coinjoin.Whirlpool, Denom: 1_000_000},
		"c57e3e496a6bb496498b54632b2637472c59feb7a3b0485121140425f115cb51": {Kind: coinjoin.Whirlpool, Denom: 100_000},
		"c31d23f5e8b881bc3339a918e71cadc4622f73c5a1f68aadd4741e0da7e66756": {Kind: coinjoin.Whirlpool, Denom: 100_000},
		"e2e92bcdca6104f82deaa31f221d71c47cfdcebe64db924484be98dd9662d29b": {Kind: coinjoin.Whirlpool, Denom: 1_000_000},
		"f35a8cdd9b490213af78692c2bb88dcf17dae0649447c94786f59e3a884cb2ce": {Kind: coinjoin.Whirlpool, Denom: 100_000},
		"cba457a11d9674afa95ba12187306d70978baf6396c5ee476272ea41670e8ae2": {Kind: coinjoin.Whirlpool, Denom: 100_000},
		"118970792f15cdb90645be0d265ba6c04ab3f3d36a16efe2c4b97801a730b3fa": {Kind: coinjoin.Whirlpool, Denom: 1_000_000},
		"5c2f55fc17854a18f447d74e32356c9ff6faf43bf937ed13611857b2bb3fef3a": {Kind: coinjoin.Wasabi1, Denom: 10_944_832},
		"79150a157185d883955fc9489247198a976c665b5a18127b2be64d80ce4b6bef": {Kind: coinjoin.JoinMarket, Denom: 5_232_063},
		"d5e8c0fa8848f8c20ec615a898ebfb150d0b99a5fead01ee01d2a3f0b9bea118": {Kind: coinjoin.JoinMarket, Denom: 12_100_000},
	}
	got := map[string]coinjoin.Join{}
	for _, c := range []struct {
		file string
		h    uint64
	}{{"block702861.raw", 702861}, {"block413567.raw", 413567}} {
		b := realBlock(t, c.file, c.h)
		for i := range b.Txs {
			// The fixtures do not resolve input values or addresses:
			// the rules read what is known.
			if j, ok := coinjoin.Detect(&b.Txs[i], make([]coinjoin.Input, len(b.Txs[i].Inputs)), c.h, true); ok {
				got[b.Txs[i].Hash] = j
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d coinjoins found, want %d: %v", len(got), len(want), got)
	}
	for tx, j := range want {
		if got[tx] != j {
			t.Errorf("%s: got %+v, want %+v", tx, got[tx], j)
		}
	}
}

func out(v int64) chains.Output { return chains.Output{Value: v, Class: chains.P2WPKH} }

// TestNotCoinjoins: shapes that look alike but are not joins.
func TestNotCoinjoins(t *testing.T) {
	ins := func(n int) []chains.Input { return make([]chains.Input, n) }
	batch := chains.Tx{Inputs: ins(1)} // an exchange's batch payout: equal outputs, one input
	for range 12 {
		batch.Outputs = append(batch.Outputs, out(10_000_000))
	}
	pay := chains.Tx{Inputs: ins(2), Outputs: []chains.Output{out(5_000_000), out(123_456)}}
	early := chains.Tx{Inputs: ins(5)} // Whirlpool-shaped before Whirlpool existed
	for range 5 {
		early.Outputs = append(early.Outputs, out(1_000_000))
	}
	unknown := func(tx chains.Tx) []coinjoin.Input { return make([]coinjoin.Input, len(tx.Inputs)) }
	// Three customers paid 0.01 BTC each plus two changes, from one
	// wallet's three inputs (one address): not a JoinMarket join.
	payroll := chains.Tx{Inputs: ins(3), Outputs: []chains.Output{out(1_000_000), out(1_000_000), out(1_000_000), out(2_345_678), out(98_765)}}
	for i := range payroll.Outputs {
		payroll.Outputs[i].Address = fmt.Sprintf("bc1qpay%d", i)
	}
	oneWallet := []coinjoin.Input{{Value: 3_000_000, Address: "bc1qw"}, {Value: 2_000_000, Address: "bc1qw"}, {Value: 500_000, Address: "bc1qw"}}
	// Twenty inputs paying 1 BTC and 0.5 BTC: standard denominations, but
	// the inputs are not sorted as Wasabi 2 sorts them.
	w2 := chains.Tx{Inputs: ins(20), Outputs: []chains.Output{out(100_000_000), out(50_000_000)}}
	w2ins := make([]coinjoin.Input, 20)
	for i := range w2ins {
		w2ins[i] = coinjoin.Input{Value: int64(8_000_000 + i*100_000), Address: fmt.Sprintf("bc1qin%d", i)}
	}
	for name, c := range map[string]struct {
		tx     chains.Tx
		ins    []coinjoin.Input
		height uint64
	}{
		"batch payout":          {batch, unknown(batch), 800_000},
		"payment":               {pay, unknown(pay), 800_000},
		"payroll of one wallet": {payroll, oneWallet, 800_000},
		"unsorted inputs":       {w2, w2ins, 800_000},
	} {
		if j, ok := coinjoin.Detect(&c.tx, c.ins, c.height, true); ok {
			t.Errorf("%s detected as %+v", name, j)
		}
	}
	if j, ok := coinjoin.Detect(&early, unknown(early), 500_000, true); ok && j.Kind == coinjoin.Whirlpool {
		t.Errorf("a Whirlpool shape before block 570,000 detected as Whirlpool")
	}
	if j, ok := coinjoin.Detect(&early, unknown(early), 10, false); !ok || j.Kind != coinjoin.Whirlpool {
		t.Errorf("on a test network every rule applies at any height: got %+v %v", j, ok)
	}
	// Whirlpool's inputs: one of the pool size, the others within the
	// premix margin; an input far above it is not a mix.
	far := unknown(early)
	far[0].Value, far[1].Value = 1_000_000, 5_000_000
	if j, ok := coinjoin.Detect(&early, far, 10, false); ok && j.Kind == coinjoin.Whirlpool {
		t.Errorf("a 0.05 BTC input in a 0.01 BTC pool detected as Whirlpool")
	}
}
