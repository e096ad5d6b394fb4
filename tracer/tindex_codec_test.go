package tracer

import (
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
)

func codecBlocks() []*chains.Block {
	usdc := chains.Asset{Symbol: "USDC", Contract: "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", Decimals: 6}
	eth := &chains.Block{Chain: chains.Ethereum, Ref: chains.BlockRef{Number: 17173049, Hash: "0xaa5ab9bb22d8020d438496a7edb4eff508b1c5128b0dc01fdecf57f96aac1bb3", Parent: "0x918a700a8e7a9f3fe0b3ccb176c810ded08729331ceef8d6375af5d1eeeaa6c0", Time: time.Unix(1683030000, 0).UTC()}}
	eth.Txs = []chains.Tx{
		{Hash: "0xeb107a40ba73a50c79a9f2026e902d758d1c5e5e211f7a7db1b294f88f118dd0", Index: 0, From: "0xae2fc483527b8ef99eb5d9b44875f005ba1fae13", To: "0x6b75d8af000000e20b7a7ddf000ba900b4009a80", GasPrice: big.NewInt(80_000_000_000),
			Transfers: []chains.Transfer{
				{Kind: chains.Native, Seq: 0, LogIndex: -1, From: "0xae2fc483527b8ef99eb5d9b44875f005ba1fae13", To: "0x6b75d8af000000e20b7a7ddf000ba900b4009a80", Asset: chains.ETH, Amount: new(big.Int).Lsh(big.NewInt(1), 100)},
				{Kind: chains.Token, Seq: 1, LogIndex: 3, From: "0x6b75d8af000000e20b7a7ddf000ba900b4009a80", To: "0xae2fc483527b8ef99eb5d9b44875f005ba1fae13", Asset: usdc, Amount: big.NewInt(5_000_000)},
				{Kind: chains.Internal, Seq: 2, LogIndex: -1, From: "0x6b75d8af000000e20b7a7ddf000ba900b4009a80", To: "Odd-Name/with slash", Asset: chains.ETH, Amount: big.NewInt(0)},
				{Kind: chains.Fee, Seq: 3, LogIndex: -1, From: "0xae2fc483527b8ef99eb5d9b44875f005ba1fae13", To: chains.FeeSink, Asset: chains.ETH, Amount: big.NewInt(21000 * 80_000_000_000)},
			},
			Logs: []chains.Log{{Index: 3, Address: "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", Topics: [][32]byte{{1, 2, 3}, {0xff}}, Data: []byte{0, 0, 7}}, {Index: 4, Address: "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"}}},
		{Hash: "0x01", Index: 1, From: "0xae2fc483527b8ef99eb5d9b44875f005ba1fae13", Failed: true,
			Transfers: []chains.Transfer{{Kind: chains.NFT, Seq: 0, LogIndex: 9, From: "0xa", To: "0xb", Asset: chains.Asset{Symbol: "", Contract: "0xc"}, Amount: nil}}},
	}
	for i := range eth.Txs {
		for k := range eth.Txs[i].Transfers {
			eth.Txs[i].Transfers[k].TxIndex = i
		}
	}
	btc := &chains.Block{Chain: chains.Bitcoin, Ref: chains.BlockRef{Number: 702861, Hash: "0000000000000000000b9a1d8f7bd8e5d8e0ea6b50e7d1a8d3e9a3c5f4b2a1c0", Parent: "00000000000000000003ab"}}
	btc.Txs = []chains.Tx{
		{Hash: "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b", Index: 0,
			Inputs:  []chains.Input{{Coinbase: true}},
			Outputs: []chains.Output{{Index: 0, Value: 625_000_000, Address: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", Class: chains.P2WPKH}, {Index: 1, Value: 0, Address: "op_return:6a24aa21a9ed", Class: chains.NullData, Data: []byte{0xaa, 0x21}}}},
		{Hash: "b1", Index: 1,
			Inputs:  []chains.Input{{Prev: chains.Outpoint{Tx: "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b", Index: 0}, Value: 625_000_000, Address: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", Resolved: true}, {Prev: chains.Outpoint{Tx: "v", Index: 7}}},
			Outputs: []chains.Output{{Index: 0, Value: 1, Address: "script:ab", Class: chains.Multisig}}},
	}
	return []*chains.Block{eth, btc}
}

// TestBlockRecordRoundTrip: a record gives back the block it was made
// of, and a record cut anywhere is an error, not a panic or a block.
func TestBlockRecordRoundTrip(t *testing.T) {
	for _, b := range codecBlocks() {
		v := encodeBlockRecord(b)
		got, err := decodeBlockRecord(b.Chain, v)
		if err != nil {
			t.Fatalf("%s: %v", b.Chain, err)
		}
		// %+v: amounts by value, empty and nil slices alike.
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", b) || len(got.Txs) != len(b.Txs) {
			t.Fatalf("%s round trip\n got %+v\nwant %+v", b.Chain, got, b)
		}
		ref, err := decodeRecordRef(v)
		if err != nil || ref != b.Ref {
			t.Fatalf("%s ref %+v, %v", b.Chain, ref, err)
		}
		for n := 0; n < len(v); n++ {
			if _, err := decodeBlockRecord(b.Chain, v[:n]); err == nil {
				t.Fatalf("%s record cut to %d of %d bytes decoded", b.Chain, n, len(v))
			}
		}
		if _, err := decodeBlockRecord(b.Chain, append(v, 0)); err == nil {
			t.Fatalf("%s record with a trailing byte decoded", b.Chain)
		}
	}
}

// TestNetFlows: an address's entry is what the engine counts it moved:
// value and fee out, token in; a failed transaction's fee only; NFTs,
// zero amounts and the fee sink not at all.
func TestNetFlows(t *testing.T) {
	b := codecBlocks()[0]
	f := map[string]netFlows{}
	for _, a := range blockNetFlows(b) {
		if a.nonzero() {
			nf, err := decodeNetFlows(appendNetFlows(nil, &a))
			if err != nil {
				t.Fatal(err)
			}
			f[a.addr] = nf
		}
	}
	sender := f["0xae2fc483527b8ef99eb5d9b44875f005ba1fae13"]
	want := new(big.Int).Neg(new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 100), big.NewInt(21000*80_000_000_000)))
	if sender[""].Cmp(want) != 0 || sender["0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"].Int64() != 5_000_000 {
		t.Fatalf("sender flows %v", sender)
	}
	for _, a := range []string{chains.FeeSink, "0xa", "0xb", "Odd-Name/with slash"} {
		if _, ok := f[a]; ok {
			t.Fatalf("%s has flows %v", a, f[a])
		}
	}
}
