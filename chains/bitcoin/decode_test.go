package bitcoin

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/address/v2/base58"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/chainhound/chainhound/chains"
)

// mainnetBlocks are the real blocks of testdata/.
var mainnetBlocks = []struct {
	name   string
	file   string
	height uint64
	txs    int
}{
	{"413567", "block413567.raw", 413567, 1557},
	{"702861", "block702861.raw", 702861, 2500},
}

func readBlock(tb testing.TB, file string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// TestDecodeMainnetBlocks decodes the real blocks and checks every txid
// against wire's own TxHash and every output's address against an
// independent derivation with txscript and address/v2.
func TestDecodeMainnetBlocks(t *testing.T) {
	params := &chaincfg.MainNetParams
	for _, tc := range mainnetBlocks {
		t.Run(tc.name, func(t *testing.T) {
			raw := readBlock(t, tc.file)
			var msg wire.MsgBlock
			if err := msg.Deserialize(strings.NewReader(string(raw))); err != nil {
				t.Fatal(err)
			}
			want := msg.BlockHash()
			b, err := DecodeBlock(raw, tc.height, &want, params)
			if err != nil {
				t.Fatal(err)
			}
			b.DeriveAddresses()
			if len(b.Txs) != tc.txs || b.Ref.Number != tc.height || b.Ref.Hash != want.String() ||
				b.Ref.Parent != msg.Header.PrevBlock.String() || b.Chain != chains.Bitcoin {
				t.Fatalf("block ref %+v with %d txs; want %d/%s with %d txs", b.Ref, len(b.Txs), tc.height, want, tc.txs)
			}
			if tc.height == 702861 && b.Ref.Hash != "000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae" {
				t.Fatalf("hash %s", b.Ref.Hash)
			}
			classes := map[chains.ScriptClass]int{}
			for i, tx := range b.Txs {
				mt := msg.Transactions[i]
				if tx.Hash != mt.TxHash().String() || tx.Index != i {
					t.Fatalf("tx %d: hash %s index %d, want %s", i, tx.Hash, tx.Index, mt.TxHash())
				}
				if len(tx.Inputs) != len(mt.TxIn) || len(tx.Outputs) != len(mt.TxOut) {
					t.Fatalf("tx %s: %d/%d inputs/outputs", tx.Hash, len(tx.Inputs), len(tx.Outputs))
				}
				for j, in := range tx.Inputs {
					if in.Coinbase != (i == 0) || in.Resolved {
						t.Fatalf("tx %d input %d: coinbase %v resolved %v", i, j, in.Coinbase, in.Resolved)
					}
					if i > 0 && (in.Prev.Tx != mt.TxIn[j].PreviousOutPoint.Hash.String() || in.Prev.Index != mt.TxIn[j].PreviousOutPoint.Index) {
						t.Fatalf("tx %d input %d spends %s", i, j, in.Prev)
					}
				}
				for j, out := range tx.Outputs {
					o := mt.TxOut[j]
					if out.Index != uint32(j) || out.Value != o.Value {
						t.Fatalf("tx %s output %d: index %d value %d, want %d", tx.Hash, j, out.Index, out.Value, o.Value)
					}
					if want := referenceAddress(t, o.PkScript, params); want != "" && out.Address != want {
						t.Fatalf("tx %s output %d (%s): address %q, txscript says %q", tx.Hash, j, out.Class, out.Address, want)
					}
					classes[out.Class]++
				}
			}
			t.Logf("output classes: %v", classes)
			if tc.height == 702861 && (classes[chains.P2WPKH] == 0 || classes[chains.P2SH] == 0 || classes[chains.NullData] == 0) {
				t.Fatalf("segwit block lacks expected classes: %v", classes)
			}
		})
	}
}

// referenceAddress derives the address of an address-bearing standard
// script with txscript and address/v2; "" for other scripts.
func referenceAddress(t *testing.T, script []byte, params *chaincfg.Params) string {
	class, addrs, _, err := txscript.ExtractPkScriptAddrs(script, params)
	if err != nil || len(addrs) != 1 {
		return ""
	}
	switch class {
	case txscript.PubKeyHashTy, txscript.ScriptHashTy, txscript.WitnessV0PubKeyHashTy,
		txscript.WitnessV0ScriptHashTy, txscript.WitnessV1TaprootTy:
		return addrs[0].EncodeAddress()
	}
	return ""
}

func TestScriptOutput(t *testing.T) {
	mainnet := &chaincfg.MainNetParams
	pub := "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	tests := []struct {
		name   string
		script string
		params *chaincfg.Params
		class  chains.ScriptClass
		addr   string
		data   string
	}{
		{"p2pkh genesis", "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", mainnet, chains.P2PKH, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", ""},
		{"p2wpkh bip173", "0014751e76e8199196d454941c45d1b3a323f1433bd6", mainnet, chains.P2WPKH, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", ""},
		{"p2wpkh regtest", "0014751e76e8199196d454941c45d1b3a323f1433bd6", &chaincfg.RegressionNetParams, chains.P2WPKH, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", ""},
		{"p2wsh bip173", "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", mainnet, chains.P2WSH, "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", ""},
		{"p2tr bip350", "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", mainnet, chains.P2TR, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", ""},
		{"p2a mainnet", "51024e73", mainnet, chains.P2A, "bc1pfeessrawgf", ""},
		{"p2a testnet4", "51024e73", &chaincfg.TestNet4Params, chains.P2A, "tb1pfees9rn5nz", ""},
		{"p2sh", "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87", mainnet, chains.P2SH, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", ""},
		{"op_return memo", "6a0e3d3a4554482e4554483a30786162", mainnet, chains.NullData, "op_return:3d3a4554482e4554483a30786162", "3d3a4554482e4554483a30786162"},
		{"op_return two pushes", "6a02abcd4c03010203", mainnet, chains.NullData, "op_return:abcd010203", "abcd010203"},
		{"op_return bare", "6a", mainnet, chains.NullData, "op_return:", ""},
		{"op_return non-push kept raw", "6a01ff76", mainnet, chains.NullData, "op_return:01ff76", "01ff76"},
		{"p2pk", "21" + pub + "ac", mainnet, chains.P2PK, "", ""},
		{"bare multisig 1-of-1", "5121" + pub + "51ae", mainnet, chains.Multisig, "", ""},
		{"nonstandard", "51", mainnet, chains.NonStandard, "", ""},
		{"empty", "", mainnet, chains.NonStandard, "", ""},
		{"witness v2", "5220" + pub[2:], mainnet, chains.NonStandard, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			script, err := hex.DecodeString(tc.script)
			if err != nil {
				t.Fatal(err)
			}
			class, addr, data := ScriptOutput(script, tc.params)
			want := tc.addr
			if want == "" {
				want = scriptID(script)
				if !strings.HasPrefix(want, "script:") || len(want) != len("script:")+64 {
					t.Fatalf("script id %q", want)
				}
			}
			if class != tc.class || addr != want || hex.EncodeToString(data) != tc.data {
				t.Fatalf("ScriptOutput = %s %q %x; want %s %q %s", class, addr, data, tc.class, want, tc.data)
			}
			if a, err := address.DecodeAddress(addr, tc.params); tc.addr != "" && class != chains.NullData && (err != nil || a.EncodeAddress() != addr) {
				t.Fatalf("address %q does not round-trip on %s: %v", addr, tc.params.Name, err)
			}
		})
	}
}

func TestDecodeBlockRejects(t *testing.T) {
	raw := readBlock(t, "block702861.raw")
	good := chainhash.DoubleHashH(raw[:80])
	other := chainhash.Hash{1}
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)-1] ^= 0xff // the last transaction's lock time
	tests := []struct {
		name string
		raw  []byte
		want *chainhash.Hash
		err  string
	}{
		{"empty", nil, &good, "decode block"},
		{"header only", raw[:80], &good, "decode block"},
		{"truncated", raw[:len(raw)/2], &good, "decode block"},
		{"trailing bytes", append(append([]byte(nil), raw...), 0), &good, "trailing bytes"},
		{"another block", raw, &other, "asked for"},
		{"corrupted transaction", flipped, &good, "merkle root"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := DecodeBlock(tc.raw, 702861, tc.want, &chaincfg.MainNetParams)
			if err == nil || !strings.Contains(err.Error(), tc.err) || b != nil {
				t.Fatalf("DecodeBlock = %v, %v; want error containing %q", b != nil, err, tc.err)
			}
			if !strings.Contains(err.Error(), "702861") {
				t.Fatalf("error %q does not name the block height", err)
			}
		})
	}
}

// TestBase58AgainstAddressV2 compares the hot-path encoder with address/v2's
// base58 on edge inputs (leading zeros, all ones, short and long).
func TestBase58AgainstAddressV2(t *testing.T) {
	inputs := map[string][]byte{
		"empty":         {},
		"one zero":      {0},
		"zeros":         make([]byte, 25),
		"leading zeros": append(make([]byte, 5), 1, 2, 3),
		"all ff":        bytes.Repeat([]byte{0xff}, 25),
		"max 32":        bytes.Repeat([]byte{0xff}, 32),
		"one":           {1},
		"58":            {58},
		"mixed":         []byte("chainhound base58 check!"),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			if got, want := base58Encode(in), base58.Encode(in); got != want {
				t.Fatalf("base58Encode(%x) = %q, want %q", in, got, want)
			}
		})
	}
}

// TestPutHashHex compares the hot-path hex encoder with chainhash's.
func TestPutHashHex(t *testing.T) {
	var h chainhash.Hash
	for i := 0; i < 256; i++ {
		for k := range h {
			h[k] = byte(i*31 + k*7)
		}
		h[i%32] = byte(i)
		if got, want := hashString(&h), h.String(); got != want {
			t.Fatalf("hashString(%x) = %s, want %s", h[:], got, want)
		}
	}
}

// TestKeptTxidHoldsNoBlock: a consumer that keeps a transaction's hash
// (a tainted output, a finding) keeps 64 bytes, not the block's buffers.
func TestKeptTxidHoldsNoBlock(t *testing.T) {
	raw := readBlock(t, "block702861.raw")
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	kept := make([]string, 20)
	for i := range kept {
		b, err := DecodeBlock(raw, 702861, nil, &chaincfg.MainNetParams)
		if err != nil {
			t.Fatal(err)
		}
		kept[i] = b.Txs[1].Hash
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 2<<20 {
		t.Fatalf("20 kept txids hold %d KB of heap", grown>>10)
	}
	runtime.KeepAlive(kept)
}
