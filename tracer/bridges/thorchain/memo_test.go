package thorchain_test

import (
	"math/big"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
)

// Where the memos come from:
//
//	[taint]   the project's taint brief, section THORChain (its example memo)
//	[deposit] the real mainnet Deposit log in testdata (tx 0xba43fa28…)
//	[btc]     real payout OP_RETURNs in Bitcoin mainnet block 702,861
//	          (shared fixtures, from rust-bitcoin, CC0): txs 35991d6e… and
//	          10bed6fd…, output 2
//	[docs]    THORNode LZeroAnalytics/thornode:docs/concepts/memos.md (and
//	          archived/lending, affiliate-guide) at a0d762ef: the
//	          project's documented examples, not checked on chain
type memoCase struct {
	src, memo string
	want      thorchain.Memo
}

func bi(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return v
}

var memoCases = []memoCase{
	{"taint", "=:b:bc1q6fxj6446h2gr40wtfkzqyfk848gw4q4t8akr2p:0/1/0:dx:30", thorchain.Memo{
		Type: thorchain.Swap, Function: "=", DestAsset: "BTC.BTC", DestChain: "bitcoin",
		DestAddress: "bc1q6fxj6446h2gr40wtfkzqyfk848gw4q4t8akr2p", Limit: bi("0"), StreamInterval: 1,
		Affiliates: []string{"dx"}, AffiliateBps: []uint64{30}}},
	{"deposit", "=:b:bc1q80nz3hx4w6dpzwwmuddyyd0y3uwj0sjxrtmlgu:1033655:lifi/-_:0/20", thorchain.Memo{
		Type: thorchain.Swap, Function: "=", DestAsset: "BTC.BTC", DestChain: "bitcoin",
		DestAddress: "bc1q80nz3hx4w6dpzwwmuddyyd0y3uwj0sjxrtmlgu", Limit: bi("1033655"),
		Affiliates: []string{"lifi", "-_"}, AffiliateBps: []uint64{0, 20}}},
	{"btc", "OUT:BD292BDD60707F967D0088417495E5BDC38B9FABAB5CE1809296BC39E325DA23", thorchain.Memo{
		Type: thorchain.Out, Function: "OUT", InboundTx: "BD292BDD60707F967D0088417495E5BDC38B9FABAB5CE1809296BC39E325DA23"}},
	{"btc", "OUT:B7CECDE56CE45114C3C3A46705AAA6313AF9179654BA7A02D80104E91FDE88FE", thorchain.Memo{
		Type: thorchain.Out, Function: "OUT", InboundTx: "B7CECDE56CE45114C3C3A46705AAA6313AF9179654BA7A02D80104E91FDE88FE"}},
	{"docs", "SWAP:ETH.ETH:0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0", thorchain.Memo{
		Type: thorchain.Swap, Function: "SWAP", DestAsset: "ETH.ETH", DestChain: "ethereum",
		DestAddress: "0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0"}},
	{"docs", "=:BTC.BTC:bc1q6527vxxqjpq80la2l0sw7hay3lj6dz07zs6gzl/0x7a093cebfa77403672d68e1c22d0681400a36682", thorchain.Memo{
		Type: thorchain.Swap, Function: "=", DestAsset: "BTC.BTC", DestChain: "bitcoin",
		DestAddress: "bc1q6527vxxqjpq80la2l0sw7hay3lj6dz07zs6gzl", RefundAddress: "0x7a093cebfa77403672d68e1c22d0681400a36682"}},
	{"docs", "s:ETH.ETH:0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0:1e6/3/0:t:10", thorchain.Memo{
		Type: thorchain.Swap, Function: "s", DestAsset: "ETH.ETH", DestChain: "ethereum",
		DestAddress: "0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0", Limit: bi("1000000"), StreamInterval: 3,
		Affiliates: []string{"t"}, AffiliateBps: []uint64{10}}},
	{"docs", "=:r:thor1el4ufmhll3yw7zxzszvfakrk66j7fx0tvcslym:19779138111", thorchain.Memo{
		Type: thorchain.Swap, Function: "=", DestAsset: "THOR.RUNE", DestChain: "thor",
		DestAddress: "thor1el4ufmhll3yw7zxzszvfakrk66j7fx0tvcslym", Limit: bi("19779138111")}},
	{"docs", "=:ETH/USDC-0XA0B86991C6218B36C1D19D4A2E9EB0CE3606EB48:thor15s4apx9ap7lazpsct42nmvf0t6am4r3w0r64f2:628197586176", thorchain.Memo{
		Type: thorchain.Swap, Function: "=", DestAsset: "ETH/USDC-0XA0B86991C6218B36C1D19D4A2E9EB0CE3606EB48", DestChain: "thor",
		DestAddress: "thor15s4apx9ap7lazpsct42nmvf0t6am4r3w0r64f2", Limit: bi("628197586176")}},
	{"docs", "=:BSC.BNB:0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0:544e6/2/6", thorchain.Memo{
		Type: thorchain.Swap, Function: "=", DestAsset: "BSC.BNB", DestChain: "bsc",
		DestAddress: "0xe6a30f4f3bad978910e2cbb4d97581f5b5a0ade0", Limit: bi("544000000"), StreamInterval: 2, StreamQuantity: 6}},
	{"docs", "=:BTC~BTC:thor1g6pnmnyeg48yc3lg796plt0uw50qpp7humfggz:1e6/1/0:dx:10", thorchain.Memo{
		Type: thorchain.Swap, Function: "=", DestAsset: "BTC~BTC", DestChain: "thor",
		DestAddress: "thor1g6pnmnyeg48yc3lg796plt0uw50qpp7humfggz", Limit: bi("1000000"), StreamInterval: 1,
		Affiliates: []string{"dx"}, AffiliateBps: []uint64{10}}},
	{"docs", "=:BTC-BTC:thor1g6pnmnyeg48yc3lg796plt0uw50qpp7humfggz:1e6/1/0:dx:10", thorchain.Memo{
		Type: thorchain.Swap, Function: "=", DestAsset: "BTC-BTC", DestChain: "thor",
		DestAddress: "thor1g6pnmnyeg48yc3lg796plt0uw50qpp7humfggz", Limit: bi("1000000"), StreamInterval: 1,
		Affiliates: []string{"dx"}, AffiliateBps: []uint64{10}}},
	{"docs", "=:ETH.ETH:0x3021c479f7f8c9f1d5c7d8523ba5e22c0bcb5430::t1/t2/t3/t4/t5:10", thorchain.Memo{
		Type: thorchain.Swap, Function: "=", DestAsset: "ETH.ETH", DestChain: "ethereum",
		DestAddress: "0x3021c479f7f8c9f1d5c7d8523ba5e22c0bcb5430",
		Affiliates:  []string{"t1", "t2", "t3", "t4", "t5"}, AffiliateBps: []uint64{10, 10, 10, 10, 10}}},
	{"docs", "=:ETH.ETH:0x3021c479f7f8c9f1d5c7d8523ba5e22c0bcb5430::t1/thor1t2hav42urasnsvwa6x6fyezaex9f953plh72pq/t3:10/20/30", thorchain.Memo{
		Type: thorchain.Swap, Function: "=", DestAsset: "ETH.ETH", DestChain: "ethereum",
		DestAddress: "0x3021c479f7f8c9f1d5c7d8523ba5e22c0bcb5430",
		Affiliates:  []string{"t1", "thor1t2hav42urasnsvwa6x6fyezaex9f953plh72pq", "t3"}, AffiliateBps: []uint64{10, 20, 30}}},
	{"docs", "=:ETH.USDT:dx:100e7:t:10", thorchain.Memo{
		Type: thorchain.Swap, Function: "=", DestAsset: "ETH.USDT", DestChain: "ethereum",
		DestAddress: "dx", Limit: bi("1000000000"), Affiliates: []string{"t"}, AffiliateBps: []uint64{10}}},
	{"docs", "ADD:BTC.BTC", thorchain.Memo{Type: thorchain.AddLiquidity, Function: "ADD", DestAsset: "BTC.BTC", DestChain: "bitcoin"}},
	{"docs", "+:BTC/BTC::t:10", thorchain.Memo{Type: thorchain.AddLiquidity, Function: "+", DestAsset: "BTC/BTC", DestChain: "thor"}},
	{"docs", "-:ETH/ETH:5000", thorchain.Memo{Type: thorchain.Withdraw, Function: "-", DestAsset: "ETH/ETH", DestChain: "thor", WithdrawBps: 5000}},
	{"docs", "WITHDRAW:BTC/BTC:10000", thorchain.Memo{Type: thorchain.Withdraw, Function: "WITHDRAW", DestAsset: "BTC/BTC", DestChain: "thor", WithdrawBps: 10000}},
	{"docs", "DONATE:ETH.ETH", thorchain.Memo{Type: thorchain.Donate, Function: "DONATE", DestAsset: "ETH.ETH", DestChain: "ethereum"}},
	{"docs", "$+:ETH.USDC-0XA0B86991C6218B36C1D19D4A2E9EB0CE3606EB48:0x1c7b17362c84287bd1184447e6dfeaf920c31bbe:10400000000", thorchain.Memo{
		Type: thorchain.LoanOpen, Function: "$+", DestAsset: "ETH.USDC-0XA0B86991C6218B36C1D19D4A2E9EB0CE3606EB48", DestChain: "ethereum",
		DestAddress: "0x1c7b17362c84287bd1184447e6dfeaf920c31bbe", Limit: bi("10400000000")}},
	{"docs", "LOAN-:BTC.BTC:bc1qp2t4hl4jr6wjfzv28tsdyjysw7p5armf7px55w", thorchain.Memo{
		Type: thorchain.LoanRepay, Function: "LOAN-", DestAsset: "BTC.BTC", DestChain: "bitcoin",
		DestAddress: "bc1qp2t4hl4jr6wjfzv28tsdyjysw7p5armf7px55w"}},
	{"docs", "BOND:thor19m4kqulyqvya339jfja84h6qp8tkjgxuxa4n4a", thorchain.Memo{Type: thorchain.Other, Function: "BOND"}},
	{"docs", "MIGRATE:3494355", thorchain.Memo{Type: thorchain.Other, Function: "MIGRATE"}},
}

func TestParseMemoRealAndDocumented(t *testing.T) {
	for _, c := range memoCases {
		t.Run(c.memo, func(t *testing.T) {
			m, err := thorchain.ParseMemo(c.memo)
			if err != nil {
				t.Fatalf("[%s] %v", c.src, err)
			}
			if d := diffMemo(m, c.want); d != "" {
				t.Errorf("[%s] %s", c.src, d)
			}
			again, err := thorchain.ParseMemo(m.String())
			if err != nil {
				t.Fatalf("String() = %q does not parse: %v", m.String(), err)
			}
			if d := diffKeys(again, m); d != "" {
				t.Errorf("String() = %q parses differently: %s", m.String(), d)
			}
		})
	}
}

// diffMemo compares every field ParseMemo sets.
func diffMemo(got, want thorchain.Memo) string {
	if d := diffKeys(got, want); d != "" {
		return d
	}
	if got.Function != want.Function || got.LimitSwap != want.LimitSwap || got.WithdrawBps != want.WithdrawBps {
		return "function/limit swap/withdraw bps: got " + got.Function + ", want " + want.Function
	}
	return ""
}

// diffKeys compares the key fields that survive Memo.String.
func diffKeys(got, want thorchain.Memo) string {
	var b strings.Builder
	chk := func(name string, ok bool, g, w any) {
		if !ok {
			b.WriteString(name + ": got " + strings.TrimSpace(fmtAny(g)) + ", want " + fmtAny(w) + "; ")
		}
	}
	chk("type", got.Type == want.Type, got.Type, want.Type)
	chk("asset", got.DestAsset == want.DestAsset, got.DestAsset, want.DestAsset)
	chk("chain", got.DestChain == want.DestChain, got.DestChain, want.DestChain)
	chk("dest", got.DestAddress == want.DestAddress, got.DestAddress, want.DestAddress)
	chk("refund", got.RefundAddress == want.RefundAddress, got.RefundAddress, want.RefundAddress)
	chk("limit", (got.Limit == nil) == (want.Limit == nil) && (got.Limit == nil || got.Limit.Cmp(want.Limit) == 0), got.Limit, want.Limit)
	chk("interval", got.StreamInterval == want.StreamInterval, got.StreamInterval, want.StreamInterval)
	chk("quantity", got.StreamQuantity == want.StreamQuantity, got.StreamQuantity, want.StreamQuantity)
	chk("affiliates", strings.Join(got.Affiliates, "/") == strings.Join(want.Affiliates, "/") && len(got.Affiliates) == len(want.Affiliates), got.Affiliates, want.Affiliates)
	chk("affiliate bps", fmtAny(got.AffiliateBps) == fmtAny(want.AffiliateBps), got.AffiliateBps, want.AffiliateBps)
	chk("inbound", got.InboundTx == want.InboundTx, got.InboundTx, want.InboundTx)
	return b.String()
}

func TestParseMemoErrors(t *testing.T) {
	cases := []struct{ memo, want string }{
		{"", "empty"},
		{strings.Repeat("=", 251), "251 bytes, over THORChain's limit of 250"},
		{"FOO:BTC.BTC", `function "FOO"`},
		// THORChain's docs list "a" and "w" as short forms; THORNode's
		// stringToTxTypeMap (memo.go) has neither.
		{"a:DOGE/DOGE", `function "a"`},
		{"|=:b:addr", `function ""`},
		{"=", "asset is missing"},
		{"=::addr", "asset is missing"},
		{"=:E.ETH:addr", `chain "E" must be 3 to 10 letters`},
		{"=:ETH1.ETH:addr", `chain "ETH1" must be letters only`},
		{"=:ETH.:addr", "has no symbol"},
		{"=:ETH.U$DT:addr", "symbol has the character '$'"},
		{"=:ETH.ABCDEFGHIJKLMN:addr", "ticker \"ABCDEFGHIJKLMN\" must be 1 to 13"},
		{"=:b:bc1 q", "destination \"bc1 q\" has the character ' '"},
		{"=:b:/bc1qrefund", "refund address is set but destination address is empty"},
		{"=:b:bc1q:-5", "limit: \"-5\" is not a non-negative decimal number"},
		{"=:b:bc1q:0x10", "limit: \"0x10\""},
		{"=:b:bc1q:1e", "malformed exponent"},
		{"=:b:bc1q:1e999999999", "exponent beyond"},
		{"=:b:bc1q:0/x/0", "stream interval \"x\""},
		{"=:b:bc1q:0/1/2/3", "stream quantity \"2/3\""},
		{"=:b:bc1q:0:dx", "1 affiliates but 0 affiliate fees"},
		{"=:b:bc1q:0:dx/t:1/2/3", "2 affiliates but 3 affiliate fees"},
		{"=:b:bc1q:0:dx:10001", "affiliate fee 10001 is over 10000"},
		{"=:b:bc1q:0:dx/t:6000", "total 12000"},
		{"=:b:bc1q:0:dx/t:6000/5000", "total 11000"},
		{"=:b:bc1q:0:dx:x", "affiliate fee \"x\""},
		{"=:b:bc1q:0:::agg:target:lots", "aggregator target limit"},
		{"OUT", "inbound tx id is missing"},
		{"OUT:1234", "must be 64 hex digits, got 4"},
		{"REFUND:" + strings.Repeat("G", 64), "non-hex character 'G'"},
		{"WITHDRAW:BTC.BTC:10001", "basis points 10001 is over 10000"},
		{"LOAN+:BTC.BTC", "address is missing"},
	}
	for _, c := range cases {
		t.Run(c.memo, func(t *testing.T) {
			m, err := thorchain.ParseMemo(c.memo)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParseMemo = %+v, %v; want an error containing %q", m, err, c.want)
			}
		})
	}
}

// THORNode reads each short code, and only the exact lower-case code.
func TestShortCodes(t *testing.T) {
	want := map[string]string{
		"r": "THOR.RUNE", "b": "BTC.BTC", "e": "ETH.ETH", "g": "GAIA.ATOM", "d": "DOGE.DOGE",
		"l": "LTC.LTC", "c": "BCH.BCH", "a": "AVAX.AVAX", "s": "BSC.BNB", "f": "BASE.ETH",
		"tr": "TRON.TRX", "x": "XRP.XRP",
		"B": "THOR.B", "rune": "THOR.RUNE", "eth.usdt-0xdac17f958d2ee523a2206206994597c13d831ec7": "ETH.USDT-0XDAC17F958D2EE523A2206206994597C13D831EC7",
	}
	for in, w := range want {
		a, err := thorchain.ParseAsset(in)
		if err != nil || a.String() != w {
			t.Errorf("ParseAsset(%q) = %v, %v; want %s", in, a, err, w)
		}
	}
}

// Limits are exact, also beyond 64 bits, and the fraction is cut off.
func TestLimitIsExact(t *testing.T) {
	for in, w := range map[string]string{
		"123456789012345678901234567890": "123456789012345678901234567890",
		"1.5e3":                          "1500",
		"1.99":                           "1",
		"15e-1":                          "1",
		"1e30":                           "1000000000000000000000000000000",
		".5e1":                           "5",
	} {
		m, err := thorchain.ParseMemo("=:b:bc1q:" + in)
		if err != nil || m.Limit.String() != w {
			t.Errorf("limit %s = %v, %v; want %s", in, m.Limit, err, w)
		}
	}
}

// OUT and REFUND ids are normalised as NormaliseTxID does, so an Ethereum
// hash (0x, lower case) and a Bitcoin txid join their payout's memo.
func TestInboundJoinsNormalisedHash(t *testing.T) {
	eth := "0xba43fa28957a7aaf961bc0bbf5b321a3218e99e408d2b5a491274e2125988bbe"
	btc := "35991d6e10424a637cb93f661b66df895a692ce91ae9aca2896ceba8af5be089"
	for _, h := range []string{eth, btc} {
		for _, fn := range []string{"OUT:", "REFUND:", "out:"} {
			m, err := thorchain.ParseMemo(fn + h)
			if err != nil {
				t.Fatal(err)
			}
			if m.InboundTx != thorchain.NormaliseTxID(h) || m.InboundTx != strings.ToUpper(strings.TrimPrefix(h, "0x")) {
				t.Errorf("%s%s: inbound %s, NormaliseTxID %s", fn, h, m.InboundTx, thorchain.NormaliseTxID(h))
			}
		}
	}
	if got := thorchain.NormaliseTxID("0X" + btc); got != strings.ToUpper(btc) {
		t.Errorf("NormaliseTxID(0X…) = %s", got)
	}
}

// A '|' ends the memo for THORNode; what follows is ignored.
func TestPipeEndsMemo(t *testing.T) {
	m, err := thorchain.ParseMemo("=:e:0x388C818CA8B9251b393131C08a736A67ccB19297|anything:at:all")
	if err != nil || m.DestAddress != "0x388C818CA8B9251b393131C08a736A67ccB19297" || m.DestChain != "ethereum" {
		t.Fatalf("%+v, %v", m, err)
	}
}
