package evmbridges_test

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/bridges/evmbridges"
)

// The logs in this file are CONSTRUCTED, not real: no real mainnet
// Across deposit, OFTSent or BridgeToNonEVMChain log was found in the
// public code and documents searched (testdata/README.md). Each is packed
// by go-ethereum's abi package from testdata/events.abi.json, with the
// topics as the event declares them, so the layout is the ABI's even
// though the values are ours.

// packLog builds a log of event name: topic0, then topics, then the
// non-indexed values packed.
func packLog(t testing.TB, name, address string, topics [][32]byte, values ...any) chains.Log {
	t.Helper()
	e := eventsABI(t).Events[name]
	data, err := e.Inputs.NonIndexed().Pack(values...)
	if err != nil {
		t.Fatalf("pack %s: %v", name, err)
	}
	return chains.Log{Address: address, Topics: append([][32]byte{[32]byte(e.ID)}, topics...), Data: data}
}

// spokePool is the address of Across's Ethereum SpokePool, not in the
// shipped labels (which have Across's v1 bridge pools only).
const spokePool = "0x5c7bcd6e7de5423a257d81b442095a1a6ced35c5"

func TestAcrossV3FundsDepositedConstructed(t *testing.T) {
	usdc := common.HexToAddress("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48")
	usdcArb := common.HexToAddress("0xaf88d065e77c8cc2239327c5edb3a432268e5831")
	recipient := common.HexToAddress("0x5067c042e35881843f2b31dfc2db1f4f272ef48c")
	l := packLog(t, "V3FundsDeposited", spokePool,
		[][32]byte{word32(t, "a4b1"), word32(t, "2b6c7f"), word32(t, recipient.Hex())},
		usdc, usdcArb, big.NewInt(1_000_000_000), big.NewInt(999_500_000),
		uint32(1_733_500_000), uint32(1_733_510_800), uint32(0),
		recipient, common.Address{}, []byte{})
	got, ok, err := evmbridges.Decode(l)
	if err != nil || !ok {
		t.Fatalf("Decode = %v, %v", ok, err)
	}
	assertTransfer(t, got, evmbridges.Transfer{
		Bridge: "across", DestChain: "arbitrum", DestChainID: 42161,
		DestAddress: "0x5067c042e35881843f2b31dfc2db1f4f272ef48c",
		Asset:       "0xaf88d065e77c8cc2239327c5edb3a432268e5831", Amount: big.NewInt(999_500_000),
	})
}

func TestAcrossFundsDepositedConstructed(t *testing.T) {
	b32 := func(a string) [32]byte { return word32(t, a) }
	weth := b32("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2")
	recipient := b32("0x5067c042e35881843f2b31dfc2db1f4f272ef48c")
	msg := []byte("a message the recipient's contract runs")
	l := packLog(t, "FundsDeposited", spokePool,
		[][32]byte{word32(t, "2105"), word32(t, "0123456789"), recipient},
		weth, b32("0x4200000000000000000000000000000000000006"), big.NewInt(2e18), big.NewInt(1_998_000_000_000_000_000),
		uint32(1_733_500_000), uint32(1_733_510_800), uint32(1_733_500_600),
		recipient, b32("0x394311a6aaa0d8e3411d8b62de4578d41322d1bd"), msg)
	got, ok, err := evmbridges.Decode(l)
	if err != nil || !ok {
		t.Fatalf("Decode = %v, %v", ok, err)
	}
	assertTransfer(t, got, evmbridges.Transfer{
		Bridge: "across", DestChain: "base", DestChainID: 8453,
		DestAddress: "0x5067c042e35881843f2b31dfc2db1f4f272ef48c",
		Asset:       "0x4200000000000000000000000000000000000006", Amount: big.NewInt(1_998_000_000_000_000_000),
	})

	// To Solana the recipient and output token are keys, written base58.
	solRecipient := [32]byte(unhex(t, "67c46aa713cfe47608dd1c16f8a0325208df084c3cbebf9f366ad0eafc2653e4"))
	solUSDC := [32]byte(unhex(t, "c6fa7af3bedbad3a3d65f36aabc97431b1bbe4c2d2f6e0e47ca60203452f5d61")) // EPjFWdd5…Dt1v
	l = packLog(t, "FundsDeposited", spokePool,
		[][32]byte{word32(t, "1f2abb7bf89b"), word32(t, "0123456789"), recipient},
		b32("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"), solUSDC, big.NewInt(5e6), big.NewInt(4_990_000),
		uint32(1_733_500_000), uint32(1_733_510_800), uint32(0), solRecipient, [32]byte{}, []byte{})
	got, ok, err = evmbridges.Decode(l)
	if err != nil || !ok {
		t.Fatalf("Decode = %v, %v", ok, err)
	}
	assertTransfer(t, got, evmbridges.Transfer{
		Bridge: "across", DestChain: "solana", DestChainID: evmbridges.AcrossChainSolana,
		DestAddress: "7z4hsfgWs4QgApUY9ydYvw93JNabxPR34JQsZJf4bTjy",
		Asset:       "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", Amount: big.NewInt(4_990_000),
	})
}

func TestOFTSentConstructed(t *testing.T) {
	// Stargate v2's USDC pool on Ethereum (stargate-protocol docs), not in
	// the shipped labels.
	l := packLog(t, "OFTSent", "0xc026395860db2d07ee33e05fe50ed7bd583189c7",
		[][32]byte{word32(t, "5f0b7f4a4c7e7d0e0c64a6e1f9b1a7e0d3c2b1a09f8e7d6c5b4a39281706f5e4"), word32(t, "0x5067c042e35881843f2b31dfc2db1f4f272ef48c")},
		uint32(30110), big.NewInt(10_000_000), big.NewInt(9_999_000))
	got, ok, err := evmbridges.Decode(l)
	if err != nil || !ok {
		t.Fatalf("Decode = %v, %v", ok, err)
	}
	assertTransfer(t, got, evmbridges.Transfer{Bridge: "stargate", DestChain: "arbitrum", DestChainID: 30110, Amount: big.NewInt(9_999_000)})
}

func TestBridgeToNonEVMChainConstructed(t *testing.T) {
	txID := word32(t, "72e6ff6ab6ed490d2dca91c591190efbce30c835d8ca66677c0afc1a64e3c13d")
	btc := "bc1q80nz3hx4w6dpzwwmuddyyd0y3uwj0sjxrtmlgu"
	l := packLog(t, "BridgeToNonEVMChain", "0x1231deb6f5749ef6ce6943a275a1d3e7486f4eae",
		[][32]byte{txID, word32(t, "12309ce54001")}, []byte(btc))
	got, ok, err := evmbridges.Decode(l)
	if err != nil || !ok {
		t.Fatalf("Decode = %v, %v", ok, err)
	}
	assertTransfer(t, got, evmbridges.Transfer{Bridge: "lifi", DestChain: "bitcoin", DestChainID: evmbridges.LiFiChainBitcoin, DestAddress: btc})

	sol := [32]byte(unhex(t, "67c46aa713cfe47608dd1c16f8a0325208df084c3cbebf9f366ad0eafc2653e4"))
	l = packLog(t, "BridgeToNonEVMChainBytes32", "0x1231deb6f5749ef6ce6943a275a1d3e7486f4eae",
		[][32]byte{txID, word32(t, "0416edef1601be")}, sol)
	got, ok, err = evmbridges.Decode(l)
	if err != nil || !ok {
		t.Fatalf("Decode = %v, %v", ok, err)
	}
	assertTransfer(t, got, evmbridges.Transfer{Bridge: "lifi", DestChain: "solana", DestChainID: evmbridges.LiFiChainSolana, DestAddress: "7z4hsfgWs4QgApUY9ydYvw93JNabxPR34JQsZJf4bTjy"})

	// The older bytes32 form shares the name, not the topic.
	l.Topics[0] = evmbridges.BridgeToNonEVMChainB32Topic
	if got2, ok, err := evmbridges.Decode(l); err != nil || !ok || got2 != got {
		t.Errorf("bytes32 BridgeToNonEVMChain = %+v, %v, %v", got2, ok, err)
	}
}
