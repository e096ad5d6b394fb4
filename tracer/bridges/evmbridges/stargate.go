package evmbridges

import (
	"fmt"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/bridges/internal/abiword"
)

// Stargate topics (stargate-protocol/stargate, contracts/Pool.sol; and
// LayerZero's OFT v2, IOFT.sol; the test recomputes them).
var (
	// StargateSwapTopic is a v1 Pool's Swap(uint16 chainId, uint256
	// dstPoolId, address from, uint256 amountSD, uint256 eqReward, uint256
	// eqFee, uint256 protocolFee, uint256 lpFee), nothing indexed.
	StargateSwapTopic = mustTopic("34660fc8af304464529f48a778e03d03e4d34bcd5f9b6f0cfbf3cd238c642f7f")
	// OFTSentTopic is OFTSent(bytes32 indexed guid, uint32 dstEid,
	// address indexed fromAddress, uint256 amountSentLD, uint256
	// amountReceivedLD), emitted by Stargate v2 pools and every other
	// LayerZero v2 OFT.
	OFTSentTopic = mustTopic("85496b760a4b7f8d66384b9df21b381f5d1b1e79f229a47aaf4c232edc2fe59a")
)

// DecodeStargateSwap decodes a v1 Pool Swap log: one topic, eight words.
// The destination is a LayerZero v1 chain id; the event names no
// recipient (it travels in the LayerZero packet) and no token (the
// emitting pool holds one); Amount is amountSD, in the pool's shared
// decimals.
func DecodeStargateSwap(l chains.Log) (Transfer, error) {
	const name = "Stargate Swap"
	if err := checkTopics(l, StargateSwapTopic, 1, name); err != nil {
		return Transfer{}, err
	}
	d := abiword.Data(l.Data)
	if len(d) != 8*32 {
		return Transfer{}, fmt.Errorf("%s log: data is %d bytes, want %d", name, len(d), 8*32)
	}
	chainID, err := d.UintN(0, 16, "chainId")
	if err != nil {
		return Transfer{}, fmt.Errorf("%s log: %w", name, err)
	}
	if _, err := d.Address(2, "from"); err != nil {
		return Transfer{}, fmt.Errorf("%s log: %w", name, err)
	}
	amount, err := d.Uint(3, "amountSD")
	if err != nil {
		return Transfer{}, fmt.Errorf("%s log: %w", name, err)
	}
	return Transfer{Bridge: Stargate, DestChain: stargateV1Chains[chainID], DestChainID: chainID, Amount: amount}, nil
}

// DecodeOFTSent decodes an OFTSent log: three topics (event, guid,
// fromAddress), three words. The destination is a LayerZero v2 endpoint
// id; the event names no recipient; Amount is amountReceivedLD, in the
// token's local decimals on the source chain.
func DecodeOFTSent(l chains.Log) (Transfer, error) {
	const name = "OFTSent"
	if err := checkTopics(l, OFTSentTopic, 3, name); err != nil {
		return Transfer{}, err
	}
	if _, err := abiword.WordAddress(l.Topics[2], "fromAddress"); err != nil {
		return Transfer{}, fmt.Errorf("%s log: %w", name, err)
	}
	d := abiword.Data(l.Data)
	if len(d) != 3*32 {
		return Transfer{}, fmt.Errorf("%s log: data is %d bytes, want %d", name, len(d), 3*32)
	}
	eid, err := d.UintN(0, 32, "dstEid")
	if err != nil {
		return Transfer{}, fmt.Errorf("%s log: %w", name, err)
	}
	amount, err := d.Uint(2, "amountReceivedLD")
	if err != nil {
		return Transfer{}, fmt.Errorf("%s log: %w", name, err)
	}
	return Transfer{Bridge: Stargate, DestChain: stargateV2Chains[eid], DestChainID: eid, Amount: amount}, nil
}
