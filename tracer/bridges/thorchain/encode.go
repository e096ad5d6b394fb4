package thorchain

import (
	"encoding/hex"
	"math/big"
	"strings"

	"github.com/chainhound/chainhound/chains"
)

// DepositLog is the router's Deposit event for an inbound of amount of
// asset (NativeAsset for ETH) to vault with memo, for building blocks
// without a node (replay's CSV, tests).
func DepositLog(router, vault, asset string, amount *big.Int, memo string) chains.Log {
	data := append(word32(amount), word32(big.NewInt(64))...)
	data = append(data, abiString(memo)...)
	return chains.Log{Address: router, Topics: [][32]byte{DepositTopic, addrTopic(vault), addrTopic(asset)}, Data: data}
}

// TransferOutLog is the router's TransferOut event: vault pays amount of
// asset to to, with memo (OUT:<inbound> or REFUND:<inbound>).
func TransferOutLog(router, vault, to, asset string, amount *big.Int, memo string) chains.Log {
	a := addrTopic(asset)
	data := append(a[:], word32(amount)...)
	data = append(data, word32(big.NewInt(96))...)
	data = append(data, abiString(memo)...)
	return chains.Log{Address: router, Topics: [][32]byte{TransferOutTopic, addrTopic(vault), addrTopic(to)}, Data: data}
}

func word32(x *big.Int) []byte {
	b := make([]byte, 32)
	if x != nil && x.Sign() > 0 && x.BitLen() <= 256 {
		x.FillBytes(b)
	}
	return b
}

func addrTopic(a string) [32]byte {
	var w [32]byte
	if b, err := hex.DecodeString(strings.TrimPrefix(strings.ToLower(a), "0x")); err == nil && len(b) == 20 {
		copy(w[12:], b)
	}
	return w
}

// abiString is s ABI-encoded: its length, then its bytes padded to 32.
func abiString(s string) []byte {
	out := word32(big.NewInt(int64(len(s))))
	out = append(out, s...)
	if pad := len(s) % 32; pad != 0 {
		out = append(out, make([]byte, 32-pad)...)
	}
	return out
}
