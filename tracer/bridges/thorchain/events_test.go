package thorchain_test

import (
	"bytes"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/bridges/thorchain"
)

// The topic constants are keccak256 of the event signatures, and the
// router ABI's event ids agree.
func TestTopicsAreKeccakOfSignatures(t *testing.T) {
	dep := crypto.Keccak256Hash([]byte("Deposit(address,address,uint256,string)"))
	out := crypto.Keccak256Hash([]byte("TransferOut(address,address,address,uint256,string)"))
	if [32]byte(dep) != thorchain.DepositTopic {
		t.Errorf("DepositTopic = %x, keccak256 of the signature is %x", thorchain.DepositTopic, dep)
	}
	if [32]byte(out) != thorchain.TransferOutTopic {
		t.Errorf("TransferOutTopic = %x, keccak256 of the signature is %x", thorchain.TransferOutTopic, out)
	}
	a := routerABI(t)
	if a.Events["Deposit"].ID != dep || a.Events["TransferOut"].ID != out {
		t.Errorf("router ABI ids %x %x differ from the signatures' hashes", a.Events["Deposit"].ID, a.Events["TransferOut"].ID)
	}
	got := thorchain.Topics()
	if len(got) != 2 || got[0] != [32]byte(dep) || got[1] != [32]byte(out) {
		t.Errorf("Topics() = %x", got)
	}
}

// A real mainnet Deposit (testdata/README.md) decodes to what the
// receipt says, agrees with go-ethereum's ABI decoder, and its memo parses.
func TestDecodeDepositMainnet(t *testing.T) {
	l, txHash := loadLog(t, "deposit_mainnet_22526256.json")
	d, err := thorchain.DecodeDeposit(l)
	if err != nil {
		t.Fatal(err)
	}
	want := thorchain.Deposit{
		Router: "0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146",
		Vault:  "0xc9146363d39cd45b11f6df465cee68d014c962a0",
		Asset:  "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599", // WBTC
		Amount: big.NewInt(0xfec6d),
		Memo:   "=:b:bc1q80nz3hx4w6dpzwwmuddyyd0y3uwj0sjxrtmlgu:1033655:lifi/-_:0/20",
	}
	if d.Router != want.Router || d.Vault != want.Vault || d.Asset != want.Asset ||
		d.Amount.Cmp(want.Amount) != 0 || d.Memo != want.Memo {
		t.Fatalf("DecodeDeposit = %+v, want %+v", d, want)
	}

	vals, err := routerABI(t).Events["Deposit"].Inputs.NonIndexed().Unpack(l.Data)
	if err != nil {
		t.Fatal(err)
	}
	if vals[0].(*big.Int).Cmp(d.Amount) != 0 || vals[1].(string) != d.Memo {
		t.Errorf("go-ethereum decodes %v, we decode %v %q", vals, d.Amount, d.Memo)
	}

	m, err := thorchain.ParseMemo(d.Memo)
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != thorchain.Swap || m.DestAsset != "BTC.BTC" || m.DestChain != "bitcoin" ||
		m.DestAddress != "bc1q80nz3hx4w6dpzwwmuddyyd0y3uwj0sjxrtmlgu" ||
		m.Limit.Cmp(big.NewInt(1033655)) != 0 ||
		strings.Join(m.Affiliates, ",") != "lifi,-_" || len(m.AffiliateBps) != 2 || m.AffiliateBps[1] != 20 {
		t.Errorf("memo parses to %+v", m)
	}
	if got := thorchain.NormaliseTxID(txHash); got != "BA43FA28957A7AAF961BC0BBF5B321A3218E99E408D2B5A491274E2125988BBE" {
		t.Errorf("NormaliseTxID(%s) = %s", txHash, got)
	}
}

// No real mainnet TransferOut log was found (testdata/README.md): this one
// is CONSTRUCTED with go-ethereum's abi package from the real router ABI.
// The memo is a real payout memo (Bitcoin block 702,861, tx 35991d6e…),
// the addresses are the real deposit's vault and an arbitrary recipient.
func TestDecodeTransferOutPacked(t *testing.T) {
	a := routerABI(t)
	ev := a.Events["TransferOut"]
	asset := common.HexToAddress("0xdac17f958d2ee523a2206206994597c13d831ec7")
	amount, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	memo := "OUT:BD292BDD60707F967D0088417495E5BDC38B9FABAB5CE1809296BC39E325DA23"
	data, err := ev.Inputs.NonIndexed().Pack(asset, amount, memo)
	if err != nil {
		t.Fatal(err)
	}
	l := chains.Log{
		Address: "0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146",
		Topics: [][32]byte{thorchain.TransferOutTopic,
			addrWord(t, "c9146363d39cd45b11f6df465cee68d014c962a0"),
			addrWord(t, "00000000000000000000000000000000000000aa")},
		Data: data,
	}
	o, err := thorchain.DecodeTransferOut(l)
	if err != nil {
		t.Fatal(err)
	}
	if o.Vault != "0xc9146363d39cd45b11f6df465cee68d014c962a0" || o.To != "0x00000000000000000000000000000000000000aa" ||
		o.Asset != "0xdac17f958d2ee523a2206206994597c13d831ec7" || o.Amount.Cmp(amount) != 0 || o.Memo != memo {
		t.Fatalf("DecodeTransferOut = %+v", o)
	}
	m, err := thorchain.ParseMemo(o.Memo)
	if err != nil || m.Type != thorchain.Out || m.InboundTx != memo[4:] {
		t.Fatalf("memo parses to %+v, %v", m, err)
	}
	// A Deposit log is not a TransferOut, and the other way round.
	if _, err := thorchain.DecodeDeposit(l); err == nil {
		t.Error("DecodeDeposit accepted a TransferOut log")
	}
	real, _ := loadLog(t, "deposit_mainnet_22526256.json")
	if _, err := thorchain.DecodeTransferOut(real); err == nil {
		t.Error("DecodeTransferOut accepted a Deposit log")
	}
}

// Malformed logs are errors that name the problem, never panics.
func TestDecodeMalformedLogs(t *testing.T) {
	good, _ := loadLog(t, "deposit_mainnet_22526256.json")
	with := func(f func(l *chains.Log)) chains.Log {
		l := chains.Log{Address: good.Address, Data: bytes.Clone(good.Data)}
		l.Topics = append([][32]byte(nil), good.Topics...)
		f(&l)
		return l
	}
	setWord := func(l *chains.Log, i int, w [32]byte) { copy(l.Data[i*32:], w[:]) }
	cases := []struct {
		name string
		log  chains.Log
		want string
	}{
		{"no topics", with(func(l *chains.Log) { l.Topics = nil }), "topic0"},
		{"other event", with(func(l *chains.Log) { l.Topics[0][0] ^= 1 }), "topic0"},
		{"two topics", with(func(l *chains.Log) { l.Topics = l.Topics[:2] }), "2 topics"},
		{"four topics", with(func(l *chains.Log) { l.Topics = append(l.Topics, [32]byte{}) }), "4 topics"},
		{"vault high bytes", with(func(l *chains.Log) { l.Topics[1][0] = 1 }), "to is not an address"},
		{"asset high bytes", with(func(l *chains.Log) { l.Topics[2][11] = 1 }), "asset is not an address"},
		{"empty data", with(func(l *chains.Log) { l.Data = nil }), "too short for amount"},
		{"head only", with(func(l *chains.Log) { l.Data = l.Data[:32] }), "too short for memo offset"},
		{"offset into head", with(func(l *chains.Log) { setWord(l, 1, word(32)) }), "not a word-aligned tail offset"},
		{"offset unaligned", with(func(l *chains.Log) { setWord(l, 1, word(65)) }), "not a word-aligned tail offset"},
		{"offset past end", with(func(l *chains.Log) { setWord(l, 1, word(uint64(len(good.Data)))) }), "leaves no room"},
		{"offset huge", with(func(l *chains.Log) { setWord(l, 1, [32]byte{0: 1}) }), "memo offset is out of range"},
		{"offset 2^63", with(func(l *chains.Log) { setWord(l, 1, word(1<<63)) }), "memo offset is out of range"},
		{"length past end", with(func(l *chains.Log) { setWord(l, 2, word(0x43+32)) }), "runs past the data"},
		{"length huge", with(func(l *chains.Log) { setWord(l, 2, word(1<<62)) }), "memo length is out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := thorchain.DecodeDeposit(c.log)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
	// Every truncation of the real log's data is an error except those
	// that keep the whole memo (the zero padding after it is not needed).
	for n := 0; n < len(good.Data); n++ {
		l := with(func(l *chains.Log) { l.Data = l.Data[:n] })
		d, err := thorchain.DecodeDeposit(l)
		if n < 3*32+0x43 && err == nil {
			t.Fatalf("data cut to %d bytes decoded: %+v", n, d)
		}
		if n >= 3*32+0x43 && (err != nil || d.Memo != "=:b:bc1q80nz3hx4w6dpzwwmuddyyd0y3uwj0sjxrtmlgu:1033655:lifi/-_:0/20") {
			t.Fatalf("data cut to %d bytes: %+v, %v", n, d, err)
		}
	}
}
