package thorchain_test

import (
	"math/big"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
)

// FuzzParseMemo: ParseMemo never panics; an accepted memo's key fields
// survive Memo.String and a second parse; the fields have their
// documented forms.
func FuzzParseMemo(f *testing.F) {
	for _, c := range memoCases {
		f.Add(c.memo)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := thorchain.ParseMemo(s)
		if err != nil {
			if m.Type != thorchain.Other || m.DestAsset != "" || m.InboundTx != "" {
				t.Fatalf("error %v with a non-zero memo %+v", err, m)
			}
			return
		}
		if m.DestAsset != strings.ToUpper(m.DestAsset) {
			t.Fatalf("asset %q is not upper case", m.DestAsset)
		}
		if (m.Type == thorchain.Out || m.Type == thorchain.Refund) && len(m.InboundTx) != 64 {
			t.Fatalf("inbound %q is not 64 digits", m.InboundTx)
		}
		if m.Limit != nil && m.Limit.Sign() < 0 {
			t.Fatalf("negative limit %v", m.Limit)
		}
		out := m.String()
		if len(out) > thorchain.MaxMemoLen {
			return // the long form of a short memo may exceed the limit
		}
		again, err := thorchain.ParseMemo(out)
		if err != nil {
			t.Fatalf("%q parsed, its String %q does not: %v", s, out, err)
		}
		if d := diffKeys(again, m); d != "" {
			t.Fatalf("%q → %q: %s", s, out, d)
		}
	})
}

// FuzzDecodeDeposit: decoding any topics and data never panics; what
// DecodeDeposit accepts go-ethereum's ABI decoder reads the same way, and
// the memo lies within the data. DecodeTransferOut gets the same data.
func FuzzDecodeDeposit(f *testing.F) {
	real, _ := loadLog(f, "deposit_mainnet_22526256.json")
	f.Add(real.Topics[1][:], real.Topics[2][:], real.Data)
	f.Add(real.Topics[1][:], real.Topics[2][:], real.Data[:3*32+0x43])
	f.Add([]byte{}, []byte{}, []byte{})
	a := routerABI(f)
	depIn, outIn := a.Events["Deposit"].Inputs.NonIndexed(), a.Events["TransferOut"].Inputs.NonIndexed()
	f.Fuzz(func(t *testing.T, t1, t2, data []byte) {
		var w1, w2 [32]byte
		copy(w1[:], t1)
		copy(w2[:], t2)
		l := chains.Log{Address: "0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146", Topics: [][32]byte{thorchain.DepositTopic, w1, w2}, Data: data}
		d, err := thorchain.DecodeDeposit(l)
		if err == nil {
			if len(d.Memo) > len(data) {
				t.Fatalf("memo of %d bytes from %d bytes of data", len(d.Memo), len(data))
			}
			vals, gerr := depIn.Unpack(data)
			if gerr != nil {
				t.Fatalf("we decode %+v, go-ethereum fails: %v", d, gerr)
			}
			if vals[0].(*big.Int).Cmp(d.Amount) != 0 || vals[1].(string) != d.Memo {
				t.Fatalf("we decode %v %q, go-ethereum %v", d.Amount, d.Memo, vals)
			}
			_, _ = thorchain.ParseMemo(d.Memo)
		}
		l.Topics[0] = thorchain.TransferOutTopic
		o, err := thorchain.DecodeTransferOut(l)
		if err == nil {
			vals, gerr := outIn.Unpack(data)
			if gerr != nil {
				t.Fatalf("we decode %+v, go-ethereum fails: %v", o, gerr)
			}
			if vals[1].(*big.Int).Cmp(o.Amount) != 0 || vals[2].(string) != o.Memo ||
				strings.ToLower(vals[0].(interface{ Hex() string }).Hex()) != o.Asset {
				t.Fatalf("we decode %+v, go-ethereum %v", o, vals)
			}
		}
	})
}
