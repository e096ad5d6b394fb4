package bitcoin

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// TestSpendAddressMainnet checks the addresses derived from the inputs of
// the two real mainnet blocks: every input whose previous output is in
// the same block must name exactly that output's address, and every
// derived address must decode (checksum included) with address/v2.
func TestSpendAddressMainnet(t *testing.T) {
	params := &chaincfg.MainNetParams
	for _, tc := range mainnetBlocks {
		t.Run(tc.name, func(t *testing.T) {
			raw := readBlock(t, tc.file)
			want := chainhash.DoubleHashH(raw[:80])
			b, err := DecodeBlock(raw, tc.height, &want, params)
			if err != nil {
				t.Fatal(err)
			}
			b.DeriveAddresses()
			outs := map[chains.Outpoint]string{}
			for _, tx := range b.Txs {
				for _, o := range tx.Outputs {
					outs[chains.Outpoint{Tx: tx.Hash, Index: o.Index}] = o.Address
				}
			}
			var inputs, derived, inBlock, matches, mismatches int
			for _, tx := range b.Txs[1:] {
				for _, in := range tx.Inputs {
					inputs++
					if in.Resolved || in.Value != 0 {
						t.Fatalf("tx %s input %s: resolved %v value %d, want neither", tx.Hash, in.Prev, in.Resolved, in.Value)
					}
					if in.Address != "" {
						derived++
						if a, err := address.DecodeAddress(in.Address, params); err != nil || a.EncodeAddress() != in.Address {
							t.Fatalf("tx %s input %s: derived %q does not decode: %v", tx.Hash, in.Prev, in.Address, err)
						}
					}
					a, ok := outs[in.Prev]
					if !ok {
						continue
					}
					inBlock++
					switch {
					case in.Address == a:
						matches++
					case in.Address != "":
						mismatches++
						t.Errorf("tx %s input %s: derived %q, the spent output pays %q", tx.Hash, in.Prev, in.Address, a)
					}
				}
			}
			t.Logf("%d inputs, %d with a derived address; %d spend outputs of this block: %d match, %d mismatch",
				inputs, derived, inBlock, matches, mismatches)
			if mismatches != 0 || matches < 250 {
				t.Fatalf("%d mismatches, %d matches; want 0 and at least 250", mismatches, matches)
			}
			// Neither block holds taproot, P2PK or bare multisig spends:
			// every input reveals its address.
			if derived != inputs {
				t.Fatalf("%d of %d inputs derived, want all", derived, inputs)
			}
		})
	}
}

// spendFixture builds signatures, keys and scripts for the shape table.
type spendFixture struct {
	pub, upub, sig, schnorr []byte
	multisig                []byte // 1-of-1 OP_CHECKMULTISIG redeem/witness script
}

func newSpendFixture(t *testing.T) spendFixture {
	key := testnodes.TestKey()
	h := sha256.Sum256([]byte("spend shapes"))
	sig := append(ecdsa.Sign(key, h[:]).Serialize(), byte(txscript.SigHashAll))
	ms, err := txscript.NewScriptBuilder().AddOp(txscript.OP_1).AddData(key.PubKey().SerializeCompressed()).
		AddOp(txscript.OP_1).AddOp(txscript.OP_CHECKMULTISIG).Script()
	if err != nil {
		t.Fatal(err)
	}
	return spendFixture{
		pub: key.PubKey().SerializeCompressed(), upub: key.PubKey().SerializeUncompressed(),
		sig: sig, schnorr: bytes.Repeat([]byte{0x5a}, 64), multisig: ms,
	}
}

// pushes builds a push-only script of data.
func pushes(t *testing.T, data ...[]byte) []byte {
	b := txscript.NewScriptBuilder()
	for _, d := range data {
		b.AddData(d)
	}
	s, err := b.Script()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSpendAddressShapes(t *testing.T) {
	params := &chaincfg.MainNetParams
	f := newSpendFixture(t)
	mk := func(a address.Address, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		return a.EncodeAddress()
	}
	wpkh := append([]byte{0x00, 0x14}, address.Hash160(f.pub)...)
	wsh := sha256.Sum256(f.multisig)
	p2wshProgram := append([]byte{0x00, 0x20}, wsh[:]...)
	control := append([]byte{0xc0}, f.pub[1:]...)                     // 33 bytes, leaf version 0xc0
	control2 := append(append([]byte{0xc1}, f.pub[1:]...), wsh[:]...) // depth 1, odd parity
	tapLeaf := append(append([]byte{0x20}, f.pub[1:]...), 0xac)       // <x-only key> OP_CHECKSIG
	annex := []byte{0x50, 0x01, 0x02}
	tests := []struct {
		name string
		sig  []byte
		wit  [][]byte
		want string
	}{
		{"p2pkh compressed", pushes(t, f.sig, f.pub), nil, mk(address.NewAddressPubKeyHash(address.Hash160(f.pub), params))},
		{"p2pkh uncompressed", pushes(t, f.sig, f.upub), nil, mk(address.NewAddressPubKeyHash(address.Hash160(f.upub), params))},
		{"p2sh multisig", append([]byte{txscript.OP_0}, pushes(t, f.sig, f.multisig)...), nil, mk(address.NewAddressScriptHash(f.multisig, params))},
		{"p2sh multisig pushdata1", []byte(string([]byte{txscript.OP_0, txscript.OP_PUSHDATA1, byte(len(f.sig))}) + string(f.sig) + string(pushes(t, f.multisig))), nil,
			mk(address.NewAddressScriptHash(f.multisig, params))},
		{"p2sh-p2wpkh", pushes(t, wpkh), [][]byte{f.sig, f.pub}, mk(address.NewAddressScriptHash(wpkh, params))},
		{"p2sh-p2wsh", pushes(t, p2wshProgram), [][]byte{{}, f.sig, f.multisig}, mk(address.NewAddressScriptHash(p2wshProgram, params))},
		{"p2wpkh", nil, [][]byte{f.sig, f.pub}, mk(address.NewAddressWitnessPubKeyHash(address.Hash160(f.pub), params))},
		{"p2wsh multisig", nil, [][]byte{{}, f.sig, f.multisig}, mk(address.NewAddressWitnessScriptHash(wsh[:], params))},
		{"p2wsh two items", nil, [][]byte{{1}, f.multisig}, mk(address.NewAddressWitnessScriptHash(wsh[:], params))},
		{"taproot key path 64", nil, [][]byte{f.schnorr}, ""},
		{"taproot key path 65", nil, [][]byte{append(f.schnorr, 0x01)}, ""},
		{"taproot key path with annex", nil, [][]byte{f.schnorr, annex}, ""},
		{"taproot script path", nil, [][]byte{f.schnorr, tapLeaf, control}, ""},
		{"taproot script path depth 1", nil, [][]byte{f.schnorr, tapLeaf, control2}, ""},
		{"taproot script path with annex", nil, [][]byte{f.schnorr, tapLeaf, control, annex}, ""},
		{"taproot script path, empty leaf args", nil, [][]byte{tapLeaf, control}, ""},
		{"witness script cannot be v0", nil, [][]byte{{}, append([]byte{0xba}, f.multisig...)}, ""},
		{"p2wpkh uncompressed is ambiguous", nil, [][]byte{f.sig, f.upub}, ""},
		{"single witness item", nil, [][]byte{f.multisig}, ""},
		{"no script, no witness", nil, nil, ""},
		{"p2pk", pushes(t, f.sig), nil, ""},
		{"bare multisig", append([]byte{txscript.OP_0}, pushes(t, f.sig)...), nil, ""},
		{"bare multisig two sigs", append([]byte{txscript.OP_0}, pushes(t, f.sig, f.sig)...), nil, ""},
		{"ends in a small number", append(pushes(t, f.sig), txscript.OP_1), nil, ""},
		{"ends in an empty push", append(pushes(t, f.sig), txscript.OP_0), nil, ""},
		{"three pushes ending in a key", pushes(t, f.sig, f.sig, f.pub), nil, ""},
		{"non-push scriptSig", append(pushes(t, f.sig, f.pub), txscript.OP_DUP), nil, ""},
		{"non-push before the redeem script", append([]byte{txscript.OP_NOP}, pushes(t, f.sig, f.multisig)...), nil, ""},
		{"last push is push-only data", pushes(t, f.sig, pushes(t, []byte("abc"), []byte("defg"))), nil, ""},
		{"truncated push", []byte{0x05, 1, 2}, nil, ""},
		{"truncated pushdata1", []byte{txscript.OP_PUSHDATA1}, nil, ""},
		{"pushdata1 past the end", []byte{txscript.OP_PUSHDATA1, 200, 1}, nil, ""},
		{"truncated pushdata2", []byte{txscript.OP_PUSHDATA2, 1}, nil, ""},
		{"pushdata2 past the end", []byte{txscript.OP_PUSHDATA2, 0xff, 0xff, 1}, nil, ""},
		{"truncated pushdata4", []byte{txscript.OP_PUSHDATA4, 1, 2}, nil, ""},
		{"huge pushdata4", []byte{txscript.OP_PUSHDATA4, 0xff, 0xff, 0xff, 0xff, 1}, nil, ""},
		{"redeem script with truncated push", pushes(t, f.sig, []byte{txscript.OP_DUP, 0x05, 1}), nil, ""},
		{"redeem script with pushdata4", pushes(t, f.sig, []byte{txscript.OP_PUSHDATA4, 0, 0, 0, 0, txscript.OP_DUP}), nil, ""},
		{"empty witness items", nil, [][]byte{{}, {}}, mk(address.NewAddressWitnessScriptHash(sha256Of(nil), params))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newAddresser(params)
			if got := addrOf(s, tc.sig, tc.wit); got != tc.want {
				t.Fatalf("address(%x, %x) = %q, want %q", tc.sig, tc.wit, got, tc.want)
			}
			// The remembered previous answer must not leak into another shape.
			if got := addrOf(s, nil, [][]byte{f.schnorr}); got != "" {
				t.Fatalf("after %s, a taproot key path gives %q", tc.name, got)
			}
		})
	}
}

// TestSpendAddressMemo checks that remembering the previous input's
// answer never returns it for different bytes of the same kind.
func TestSpendAddressMemo(t *testing.T) {
	params := &chaincfg.RegressionNetParams
	s := newAddresser(params)
	f := newSpendFixture(t)
	a1 := addrOf(s, nil, [][]byte{f.sig, f.pub})
	other := testnodes.TestKey().PubKey().SerializeUncompressed()
	other = append([]byte{2 | other[64]&1}, other[1:33]...)
	other[5] ^= 1 // a different (not necessarily valid) key: only its hash matters
	a2 := addrOf(s, nil, [][]byte{f.sig, other})
	a3 := addrOf(s, nil, [][]byte{f.sig, f.pub})
	if a1 == "" || a1 == a2 || a1 != a3 {
		t.Fatalf("addresses %q %q %q; want the first and last equal and the middle different", a1, a2, a3)
	}
	want, _ := address.NewAddressWitnessPubKeyHash(address.Hash160(other), params)
	if a2 != want.EncodeAddress() {
		t.Fatalf("second address %q, want %q", a2, want.EncodeAddress())
	}
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// FuzzSpendAddress feeds arbitrary scriptSigs and witnesses: the derivation
// never panics and answers either nothing or an address that decodes.
func FuzzSpendAddress(f *testing.F) {
	f.Add([]byte{0x47}, []byte{}, []byte{})
	f.Add([]byte{txscript.OP_PUSHDATA2, 0xff}, []byte{1}, []byte{2})
	f.Add([]byte{}, bytes.Repeat([]byte{0x02}, 33), []byte{0x30})
	f.Add([]byte{}, []byte{0x51}, append([]byte{0xc0}, make([]byte, 32)...))
	params := &chaincfg.MainNetParams
	f.Fuzz(func(t *testing.T, sig, w1, w2 []byte) {
		s := newAddresser(params)
		for _, wit := range [][][]byte{nil, {w1}, {w1, w2}, {w2, w1, w2}} {
			if a := addrOf(s, sig, wit); a != "" {
				if _, err := address.DecodeAddress(a, params); err != nil {
					t.Fatalf("address(%x, %x) = %q does not decode: %v", sig, wit, a, err)
				}
			}
		}
	})
}

// addrOf derives from a scriptSig and a witness stack given as items.
func addrOf(s *addresser, sig []byte, wit [][]byte) string {
	return s.address(sig, witnessBytes(wit, wit != nil))
}
