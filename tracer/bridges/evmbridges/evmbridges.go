package evmbridges

import (
	"encoding/hex"
	"fmt"
	"math/big"

	"github.com/chainhound/chainhound/chains"
)

// Bridge names, as in the shipped labels' protocol column.
const (
	LiFi     = "lifi"
	Across   = "across"
	Wormhole = "wormhole"
	Stargate = "stargate"
)

// Transfer is a deposit into a bridge as its event describes it.
type Transfer struct {
	// Bridge is LiFi, Across, Wormhole or Stargate.
	Bridge string
	// Via is the bridge LI.FI routed through ("thorswap", "across", …),
	// as its BridgeData names it; empty for the other bridges.
	Via string
	// DestChain is the destination chain: "ethereum" or "bitcoin" as
	// chainhound names them, else the bridge's name for it in lower case;
	// empty when the id is not in this package's tables.
	DestChain string
	// DestChainID is the destination as the bridge numbers chains.
	DestChainID uint64
	// DestAddress is the recipient on the destination chain when the
	// event names one: lowercase 0x hex for an EVM address, base58 for a
	// Solana key, the text for a Bitcoin address, else 0x hex of the
	// bytes. Empty when the event does not say.
	DestAddress string
	// Asset is the token the event names (lowercase 0x hex; the zero
	// address is the native coin): LI.FI's sending asset, Across's output
	// token on the destination chain, Wormhole's token address on
	// AssetChain. Empty when the event does not say.
	Asset string
	// AssetChain is the chain of a Wormhole token address (the token's
	// origin chain); empty for the other bridges.
	AssetChain string
	// Amount is the event's amount in the asset's base units (Wormhole:
	// normalised to at most 8 decimals; Stargate v1: the pool's shared
	// decimals); nil when the event has none.
	Amount *big.Int
}

// ZeroAddress is the asset address LI.FI and Across use for the native
// coin.
const ZeroAddress = "0x0000000000000000000000000000000000000000"

// Topics maps every topic0 this package decodes to its event signature.
func Topics() map[[32]byte]string {
	m := make(map[[32]byte]string, len(decoders))
	for t, d := range decoders {
		m[t] = d.signature
	}
	return m
}

type decoder struct {
	signature string
	decode    func(chains.Log) (Transfer, bool, error)
}

var decoders = map[[32]byte]decoder{
	LiFiTransferStartedTopic:        {"LiFiTransferStarted((bytes32,string,string,address,address,address,uint256,uint256,bool,bool))", accept(DecodeLiFiTransferStarted)},
	BridgeToNonEVMChainTopic:        {"BridgeToNonEVMChain(bytes32,uint256,bytes)", accept(DecodeBridgeToNonEVMChain)},
	BridgeToNonEVMChainB32Topic:     {"BridgeToNonEVMChain(bytes32,uint256,bytes32)", accept(DecodeBridgeToNonEVMChain)},
	BridgeToNonEVMChainBytes32Topic: {"BridgeToNonEVMChainBytes32(bytes32,uint256,bytes32)", accept(DecodeBridgeToNonEVMChain)},
	V3FundsDepositedTopic:           {"V3FundsDeposited(address,address,uint256,uint256,uint256,uint32,uint32,uint32,uint32,address,address,address,bytes)", accept(DecodeAcrossDeposit)},
	FundsDepositedTopic:             {"FundsDeposited(bytes32,bytes32,uint256,uint256,uint256,uint256,uint32,uint32,uint32,bytes32,bytes32,bytes32,bytes)", accept(DecodeAcrossDeposit)},
	LogMessagePublishedTopic:        {"LogMessagePublished(address,uint64,uint32,bytes,uint8)", DecodeWormhole},
	StargateSwapTopic:               {"Swap(uint16,uint256,address,uint256,uint256,uint256,uint256,uint256)", accept(DecodeStargateSwap)},
	OFTSentTopic:                    {"OFTSent(bytes32,uint32,address,uint256,uint256)", accept(DecodeOFTSent)},
}

func accept(f func(chains.Log) (Transfer, error)) func(chains.Log) (Transfer, bool, error) {
	return func(l chains.Log) (Transfer, bool, error) {
		t, err := f(l)
		if err != nil {
			return Transfer{}, false, err
		}
		return t, true, nil
	}
}

// Decode decodes l by its topic0. It returns false and no error for a log
// whose topic0 is none of Topics() or, for Wormhole, a message that is
// not a token transfer; an error when the log claims a known event but is
// malformed (wrong topic count, short data, out-of-range offsets or
// values).
func Decode(l chains.Log) (Transfer, bool, error) {
	if len(l.Topics) == 0 {
		return Transfer{}, false, nil
	}
	d, ok := decoders[l.Topics[0]]
	if !ok {
		return Transfer{}, false, nil
	}
	return d.decode(l)
}

func mustTopic(h string) [32]byte {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		panic("evmbridges: bad topic constant " + h)
	}
	return [32]byte(b)
}

func checkTopics(l chains.Log, want [32]byte, n int, name string) error {
	if len(l.Topics) == 0 || l.Topics[0] != want {
		return fmt.Errorf("log is not a %s event (topic0 differs)", name)
	}
	if len(l.Topics) != n {
		return fmt.Errorf("%s log has %d topics, want %d", name, len(l.Topics), n)
	}
	return nil
}
