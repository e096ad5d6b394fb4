package evmbridges

import (
	"fmt"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/bridges/internal/abiword"
)

// LI.FI diamond topics (signatures in lifinance/contracts,
// src/Interfaces/ILiFi.sol and the non-EVM facets; the test recomputes
// them).
var (
	// LiFiTransferStartedTopic is LiFiTransferStarted(ILiFi.BridgeData
	// bridgeData), not indexed.
	LiFiTransferStartedTopic = mustTopic("cba69f43792f9f399347222505213b55af8e0b0b54b893085c2e27ecbe1644f1")
	// BridgeToNonEVMChainTopic is BridgeToNonEVMChain(bytes32 indexed
	// transactionId, uint256 indexed destinationChainId, bytes receiver)
	// (ILiFi.sol, Chainflip, deBridge DLN and others).
	BridgeToNonEVMChainTopic = mustTopic("f9b69f466270c99522169d563c0a430e88c52865ec33b1cc36ee2a4a6ea5170b")
	// BridgeToNonEVMChainB32Topic is the older BridgeToNonEVMChain(bytes32
	// indexed transactionId, uint256 indexed destinationChainId, bytes32
	// receiver) of earlier Mayan and Chainflip facets.
	BridgeToNonEVMChainB32Topic = mustTopic("7be3e48a8a8b4d32138937e1809ac83481fffe48e49bb60e43ed1d3d50349e4c")
	// BridgeToNonEVMChainBytes32Topic is BridgeToNonEVMChainBytes32(bytes32
	// indexed transactionId, uint256 indexed destinationChainId, bytes32
	// receiver).
	BridgeToNonEVMChainBytes32Topic = mustTopic("815cd8dc72093a13fe3577112c391b6279303956526382ab98772d0239dbf78c")
)

// DecodeLiFiTransferStarted decodes a LiFiTransferStarted log: one topic,
// then the ABI-encoded BridgeData tuple. A receiver of LiFiNonEVMAddress
// (a non-EVM destination) gives an empty DestAddress: the receiver is in
// a BridgeToNonEVMChain log of the same transaction, if any.
func DecodeLiFiTransferStarted(l chains.Log) (Transfer, error) {
	const name = "LiFiTransferStarted"
	if err := checkTopics(l, LiFiTransferStartedTopic, 1, name); err != nil {
		return Transfer{}, err
	}
	t, err := decodeBridgeData(abiword.Data(l.Data))
	if err != nil {
		return Transfer{}, fmt.Errorf("%s log: %w", name, err)
	}
	return t, nil
}

func decodeBridgeData(d abiword.Data) (Transfer, error) {
	bd, err := d.Tuple(0, 1, "bridgeData")
	if err != nil {
		return Transfer{}, err
	}
	via, err := bd.Bytes(1, 10, "bridge", true)
	if err != nil {
		return Transfer{}, err
	}
	if _, err := bd.Bytes(2, 10, "integrator", true); err != nil {
		return Transfer{}, err
	}
	if _, err := bd.Address(3, "referrer"); err != nil {
		return Transfer{}, err
	}
	asset, err := bd.Address(4, "sendingAssetId")
	if err != nil {
		return Transfer{}, err
	}
	receiver, err := bd.Address(5, "receiver")
	if err != nil {
		return Transfer{}, err
	}
	amount, err := bd.Uint(6, "minAmount")
	if err != nil {
		return Transfer{}, err
	}
	chainID, err := bd.UintN(7, 64, "destinationChainId")
	if err != nil {
		return Transfer{}, err
	}
	for i, n := range []string{"hasSourceSwaps", "hasDestinationCall"} {
		if _, err := bd.Bool(8+i, n); err != nil {
			return Transfer{}, err
		}
	}
	if receiver == LiFiNonEVMAddress {
		receiver = ""
	}
	return Transfer{
		Bridge: LiFi, Via: string(via),
		DestChain: lifiChain(chainID), DestChainID: chainID, DestAddress: receiver,
		Asset: asset, Amount: amount,
	}, nil
}

// DecodeBridgeToNonEVMChain decodes LI.FI's BridgeToNonEVMChain (bytes or
// bytes32 receiver) and BridgeToNonEVMChainBytes32 logs: three topics
// (event, transactionId, destinationChainId), then the receiver. The
// Transfer has no asset or amount: the same transaction's
// LiFiTransferStarted has them.
func DecodeBridgeToNonEVMChain(l chains.Log) (Transfer, error) {
	const name = "BridgeToNonEVMChain"
	if len(l.Topics) == 0 {
		return Transfer{}, fmt.Errorf("log is not a %s event (no topics)", name)
	}
	t0 := l.Topics[0]
	if t0 != BridgeToNonEVMChainTopic && t0 != BridgeToNonEVMChainB32Topic && t0 != BridgeToNonEVMChainBytes32Topic {
		return Transfer{}, fmt.Errorf("log is not a %s event (topic0 differs)", name)
	}
	if len(l.Topics) != 3 {
		return Transfer{}, fmt.Errorf("%s log has %d topics, want 3", name, len(l.Topics))
	}
	chainID, err := abiword.WordUint(l.Topics[2], 64, "destinationChainId")
	if err != nil {
		return Transfer{}, fmt.Errorf("%s log: %w", name, err)
	}
	chain := lifiChain(chainID)
	d := abiword.Data(l.Data)
	var receiver string
	if t0 == BridgeToNonEVMChainTopic {
		b, err := d.Bytes(0, 1, "receiver", true)
		if err != nil {
			return Transfer{}, fmt.Errorf("%s log: %w", name, err)
		}
		receiver = bytesAddress(b, chain)
	} else {
		if len(d) != 32 {
			return Transfer{}, fmt.Errorf("%s log: data is %d bytes, want 32 (the receiver)", name, len(d))
		}
		receiver = word32Address([32]byte(d), chain, false)
	}
	return Transfer{Bridge: LiFi, DestChain: chain, DestChainID: chainID, DestAddress: receiver}, nil
}
