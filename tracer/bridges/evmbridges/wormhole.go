package evmbridges

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/bridges/internal/abiword"
)

// LogMessagePublishedTopic is the Wormhole Core contract's
// LogMessagePublished(address indexed sender, uint64 sequence, uint32
// nonce, bytes payload, uint8 consistencyLevel)
// (wormhole-foundation/wormhole, ethereum/contracts/Implementation.sol).
var LogMessagePublishedTopic = mustTopic("6eb224fb001ed210e379b335e35efe88672a8ce935d981a6896b27ffdf52a3b2")

// Token-bridge payload ids (ethereum/contracts/bridge/BridgeStructs.sol).
const (
	wormholeTransfer            = 1
	wormholeTransferWithPayload = 3
	// id(1) amount(32) tokenAddress(32) tokenChain(2) to(32) toChain(2)
	// then fee(32) for payload 1 or fromAddress(32) for payload 3.
	wormholeTransferLen = 133
)

// DecodeWormhole decodes a LogMessagePublished log. A payload that is not
// a token transfer (its first byte is not 1 or 3) is not a transfer:
// false, no error. A transfer payload of the wrong length is an error.
// Whether the sender (topic 1) is a token bridge the caller decides.
func DecodeWormhole(l chains.Log) (Transfer, bool, error) {
	const name = "LogMessagePublished"
	if err := checkTopics(l, LogMessagePublishedTopic, 2, name); err != nil {
		return Transfer{}, false, err
	}
	if _, err := abiword.WordAddress(l.Topics[1], "sender"); err != nil {
		return Transfer{}, false, fmt.Errorf("%s log: %w", name, err)
	}
	payload, err := wormholeMessage(abiword.Data(l.Data))
	if err != nil {
		return Transfer{}, false, fmt.Errorf("%s log: %w", name, err)
	}
	t, ok, err := DecodeWormholeTransfer(payload)
	if err != nil {
		return Transfer{}, false, fmt.Errorf("%s log: %w", name, err)
	}
	return t, ok, nil
}

func wormholeMessage(d abiword.Data) ([]byte, error) {
	if _, err := d.UintN(0, 64, "sequence"); err != nil {
		return nil, err
	}
	if _, err := d.UintN(1, 32, "nonce"); err != nil {
		return nil, err
	}
	payload, err := d.Bytes(2, 4, "payload", true)
	if err != nil {
		return nil, err
	}
	if _, err := d.UintN(3, 8, "consistencyLevel"); err != nil {
		return nil, err
	}
	return payload, nil
}

// DecodeWormholeTransfer decodes a token-bridge payload (as in a VAA or a
// LogMessagePublished): false, no error, when it is not a transfer.
func DecodeWormholeTransfer(p []byte) (Transfer, bool, error) {
	if len(p) == 0 || (p[0] != wormholeTransfer && p[0] != wormholeTransferWithPayload) {
		return Transfer{}, false, nil
	}
	if p[0] == wormholeTransfer && len(p) != wormholeTransferLen {
		return Transfer{}, false, fmt.Errorf("transfer payload is %d bytes, want %d", len(p), wormholeTransferLen)
	}
	if p[0] == wormholeTransferWithPayload && len(p) < wormholeTransferLen {
		return Transfer{}, false, fmt.Errorf("transfer-with-payload is %d bytes, want at least %d", len(p), wormholeTransferLen)
	}
	amount := new(big.Int).SetBytes(p[1:33])
	token := [32]byte(p[33:65])
	tokenChain := uint64(binary.BigEndian.Uint16(p[65:67]))
	to := [32]byte(p[67:99])
	toChain := uint64(binary.BigEndian.Uint16(p[99:101]))
	assetChain, destChain := wormholeChains[tokenChain], wormholeChains[toChain]
	return Transfer{
		Bridge: Wormhole, DestChain: destChain, DestChainID: toChain,
		DestAddress: word32Address(to, destChain, wormholeEVM[toChain]),
		Asset:       word32Address(token, assetChain, wormholeEVM[tokenChain]),
		AssetChain:  assetChain, Amount: amount,
	}, true, nil
}
