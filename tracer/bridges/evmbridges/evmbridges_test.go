package evmbridges_test

import (
	"bytes"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/bridges/evmbridges"
)

// Every topic is keccak256 of its signature, the exported constants are
// the table's, and the test ABI's event ids agree.
func TestTopicsAreKeccakOfSignatures(t *testing.T) {
	topics := evmbridges.Topics()
	if len(topics) != 9 {
		t.Errorf("Topics() has %d entries, want 9", len(topics))
	}
	for topic, sig := range topics {
		if h := crypto.Keccak256Hash([]byte(sig)); [32]byte(h) != topic {
			t.Errorf("%s: topic %x, keccak256 is %x", sig, topic, h)
		}
	}
	for name, c := range map[string][32]byte{
		"LiFiTransferStarted((bytes32,string,string,address,address,address,uint256,uint256,bool,bool))":                      evmbridges.LiFiTransferStartedTopic,
		"BridgeToNonEVMChain(bytes32,uint256,bytes)":                                                                          evmbridges.BridgeToNonEVMChainTopic,
		"BridgeToNonEVMChain(bytes32,uint256,bytes32)":                                                                        evmbridges.BridgeToNonEVMChainB32Topic,
		"BridgeToNonEVMChainBytes32(bytes32,uint256,bytes32)":                                                                 evmbridges.BridgeToNonEVMChainBytes32Topic,
		"V3FundsDeposited(address,address,uint256,uint256,uint256,uint32,uint32,uint32,uint32,address,address,address,bytes)": evmbridges.V3FundsDepositedTopic,
		"FundsDeposited(bytes32,bytes32,uint256,uint256,uint256,uint256,uint32,uint32,uint32,bytes32,bytes32,bytes32,bytes)":  evmbridges.FundsDepositedTopic,
		"LogMessagePublished(address,uint64,uint32,bytes,uint8)":                                                              evmbridges.LogMessagePublishedTopic,
		"Swap(uint16,uint256,address,uint256,uint256,uint256,uint256,uint256)":                                                evmbridges.StargateSwapTopic,
		"OFTSent(bytes32,uint32,address,uint256,uint256)":                                                                     evmbridges.OFTSentTopic,
	} {
		if [32]byte(crypto.Keccak256Hash([]byte(name))) != c {
			t.Errorf("constant for %s is %x, not its keccak256", name, c)
		}
		if topics[c] != name {
			t.Errorf("Topics()[%x] = %q, want %q", c, topics[c], name)
		}
	}
	for _, e := range eventsABI(t).Events {
		if _, ok := topics[[32]byte(e.ID)]; !ok {
			t.Errorf("test ABI event %s (%x) is not in Topics()", e.Sig, e.ID)
		}
	}
}

// A real mainnet LiFiTransferStarted (testdata/README.md): a WBTC swap
// to Bitcoin through THORChain; the receiver is LI.FI's non-EVM
// placeholder, so the Bitcoin address is not in this event (it is in the
// THORChain memo of the same transaction).
func TestLiFiTransferStartedMainnet(t *testing.T) {
	l := loadLog(t, "lifi_mainnet_22526256.json")
	if label, proto := bridgeLabel(t, l.Address); label != "LI.FI: Diamond" || proto != "lifi" {
		t.Errorf("LI.FI diamond %s labelled %q/%q, want the shipped lifi entry", l.Address, label, proto)
	}
	got, ok, err := evmbridges.Decode(l)
	if err != nil || !ok {
		t.Fatalf("Decode = %v, %v", ok, err)
	}
	want := evmbridges.Transfer{
		Bridge: "lifi", Via: "thorswap", DestChain: "bitcoin", DestChainID: 20000000000001,
		Asset: "0x2260fac5e5542a773aa44fbcfedf7c193bc2c599", Amount: big.NewInt(1043565),
	}
	assertTransfer(t, got, want)

	vals, err := eventsABI(t).Events["LiFiTransferStarted"].Inputs.NonIndexed().Unpack(l.Data)
	if err != nil {
		t.Fatal(err)
	}
	bd := vals[0].(struct {
		TransactionId      [32]uint8      `json:"transactionId"`
		Bridge             string         `json:"bridge"`
		Integrator         string         `json:"integrator"`
		Referrer           common.Address `json:"referrer"`
		SendingAssetId     common.Address `json:"sendingAssetId"`
		Receiver           common.Address `json:"receiver"`
		MinAmount          *big.Int       `json:"minAmount"`
		DestinationChainId *big.Int       `json:"destinationChainId"`
		HasSourceSwaps     bool           `json:"hasSourceSwaps"`
		HasDestinationCall bool           `json:"hasDestinationCall"`
	})
	if bd.Bridge != got.Via || bd.MinAmount.Cmp(got.Amount) != 0 || bd.DestinationChainId.Uint64() != got.DestChainID ||
		strings.ToLower(bd.SendingAssetId.Hex()) != got.Asset || strings.ToLower(bd.Receiver.Hex()) != evmbridges.LiFiNonEVMAddress ||
		bd.Integrator != "jumper.exchange" {
		t.Errorf("go-ethereum decodes %+v, we decode %+v", bd, got)
	}
}

// A real mainnet Wormhole token-bridge transfer (testdata/README.md):
// 502.000194 USDC from Ethereum to a Solana account; the emitter is the
// labelled Core contract and the sender the labelled Portal Token Bridge.
func TestWormholeMainnet(t *testing.T) {
	l := loadLog(t, "wormhole_mainnet_15435810.json")
	if label, proto := bridgeLabel(t, l.Address); label != "Wormhole: Ethereum Core Bridge" || proto != "wormhole" {
		t.Errorf("emitter %s labelled %q/%q", l.Address, label, proto)
	}
	sender := "0x" + common.Bytes2Hex(l.Topics[1][12:])
	if label, proto := bridgeLabel(t, sender); label != "Wormhole: Portal Token Bridge" || proto != "wormhole" {
		t.Errorf("sender %s labelled %q/%q", sender, label, proto)
	}
	got, ok, err := evmbridges.Decode(l)
	if err != nil || !ok {
		t.Fatalf("Decode = %v, %v", ok, err)
	}
	want := evmbridges.Transfer{
		Bridge: "wormhole", DestChain: "solana", DestChainID: 1,
		DestAddress: "7z4hsfgWs4QgApUY9ydYvw93JNabxPR34JQsZJf4bTjy",
		Asset:       "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", AssetChain: "ethereum",
		Amount: big.NewInt(502000194),
	}
	assertTransfer(t, got, want)

	vals, err := eventsABI(t).Events["LogMessagePublished"].Inputs.NonIndexed().Unpack(l.Data)
	if err != nil {
		t.Fatal(err)
	}
	if vals[0].(uint64) != 0x1371e || vals[1].(uint32) != 0x6eca0000 || vals[3].(uint8) != 15 || len(vals[2].([]byte)) != 133 {
		t.Errorf("go-ethereum decodes %v", vals)
	}
	if p := vals[2].([]byte); !bytes.Equal(p[33:65], common.LeftPadBytes(common.FromHex(got.Asset), 32)) {
		t.Errorf("payload token %x, we decode %s", p[33:65], got.Asset)
	}
}

// A Wormhole message that is not a token transfer (an attestation,
// payload 2) is not a transfer; a transfer payload of the wrong length is
// an error.
func TestWormholeNotATransfer(t *testing.T) {
	real := loadLog(t, "wormhole_mainnet_15435810.json")
	a := eventsABI(t).Events["LogMessagePublished"].Inputs.NonIndexed()
	vals, err := a.Unpack(real.Data)
	if err != nil {
		t.Fatal(err)
	}
	pack := func(p []byte) chains.Log {
		data, err := a.Pack(vals[0], vals[1], p, vals[3])
		if err != nil {
			t.Fatal(err)
		}
		return chains.Log{Address: real.Address, Topics: real.Topics, Data: data}
	}
	attest := append([]byte{2}, vals[2].([]byte)[1:]...)
	if got, ok, err := evmbridges.Decode(pack(attest)); ok || err != nil {
		t.Errorf("payload 2: %+v, %v, %v; want not a transfer", got, ok, err)
	}
	short := vals[2].([]byte)[:132]
	if _, ok, err := evmbridges.Decode(pack(short)); ok || err == nil || !strings.Contains(err.Error(), "132 bytes") {
		t.Errorf("132-byte transfer: ok %v, err %v", ok, err)
	}
	withPayload := append(append([]byte{3}, vals[2].([]byte)[1:]...), "hello"...)
	got, ok, err := evmbridges.Decode(pack(withPayload))
	if err != nil || !ok || got.DestChain != "solana" || got.Amount.Int64() != 502000194 {
		t.Errorf("payload 3: %+v, %v, %v", got, ok, err)
	}
}

// A real Stargate v1 pool Swap, on Avalanche C-Chain mainnet
// (testdata/README.md): to Polygon (LayerZero v1 id 109); the event names
// no recipient.
func TestStargateSwapAvalancheMainnet(t *testing.T) {
	l := loadLog(t, "stargate_v1_avalanche_30806758.json")
	got, ok, err := evmbridges.Decode(l)
	if err != nil || !ok {
		t.Fatalf("Decode = %v, %v", ok, err)
	}
	assertTransfer(t, got, evmbridges.Transfer{Bridge: "stargate", DestChain: "polygon", DestChainID: 109, Amount: big.NewInt(267768184)})
	vals, err := eventsABI(t).Events["Swap"].Inputs.NonIndexed().Unpack(l.Data)
	if err != nil {
		t.Fatal(err)
	}
	if vals[0].(uint16) != 109 || vals[3].(*big.Int).Cmp(got.Amount) != 0 ||
		strings.ToLower(vals[2].(common.Address).Hex()) != "0xb4a2a03d0d06d70318f46b4875dbbd3c8e488fca" {
		t.Errorf("go-ethereum decodes %v", vals)
	}
}

func assertTransfer(t *testing.T, got, want evmbridges.Transfer) {
	t.Helper()
	if got.Bridge != want.Bridge || got.Via != want.Via || got.DestChain != want.DestChain ||
		got.DestChainID != want.DestChainID || got.DestAddress != want.DestAddress ||
		got.Asset != want.Asset || got.AssetChain != want.AssetChain ||
		(got.Amount == nil) != (want.Amount == nil) || (got.Amount != nil && got.Amount.Cmp(want.Amount) != 0) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}
