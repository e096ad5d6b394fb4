package thorchain

import (
	"encoding/hex"
	"fmt"
	"math/big"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/tracer/bridges/internal/abiword"
)

// The router's event topics (topic0 = keccak256 of the signature; the
// test recomputes them). The signatures are those of THORChain's router
// ABI (bifrost/pkg/chainclients/shared/evm/abi/router.json in THORNode),
// the same in every router version.
var (
	// DepositTopic is Deposit(address indexed to, address indexed asset,
	// uint256 amount, string memo): an inbound; to is the vault.
	DepositTopic = mustTopic("ef519b7eb82aaf6ac376a6df2d793843ebfd593de5f1a0601d3cc6ab49ebb395")
	// TransferOutTopic is TransferOut(address indexed vault, address
	// indexed to, address asset, uint256 amount, string memo): a payout
	// (memo OUT:) or refund (memo REFUND:).
	TransferOutTopic = mustTopic("a9cd03aa3c1b4515114539cd53d22085129d495cb9e9f9af77864526240f1bf7")
)

func mustTopic(h string) [32]byte {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		panic("thorchain: bad topic constant " + h)
	}
	return [32]byte(b)
}

// Topics returns the topic0 values this package decodes, for a log filter.
func Topics() [][32]byte {
	return [][32]byte{DepositTopic, TransferOutTopic}
}

// NativeAsset is the router's asset address for the chain's native coin
// (ETH): the zero address.
const NativeAsset = "0x0000000000000000000000000000000000000000"

// Deposit is a router Deposit event: an inbound to THORChain.
type Deposit struct {
	Router string   // the emitting contract, lowercase 0x hex
	Vault  string   // the vault credited (the event's to), lowercase 0x hex
	Asset  string   // token contract, or NativeAsset for ETH
	Amount *big.Int // in the token's base units (wei for ETH)
	Memo   string   // as emitted; ParseMemo reads it
}

// TransferOut is a router TransferOut event: a vault's payout or refund.
type TransferOut struct {
	Router string   // the emitting contract, lowercase 0x hex
	Vault  string   // the paying vault, lowercase 0x hex
	To     string   // the recipient, lowercase 0x hex
	Asset  string   // token contract, or NativeAsset for ETH
	Amount *big.Int // in the token's base units
	Memo   string   // OUT:<inbound> or REFUND:<inbound>
}

// DecodeDeposit decodes a router Deposit log. The log must have exactly
// the event's three topics and well-formed ABI data (amount, then the
// memo's offset, length and bytes, all in range); anything else is an
// error naming what is wrong.
func DecodeDeposit(l chains.Log) (Deposit, error) {
	if err := checkTopics(l, DepositTopic, "Deposit"); err != nil {
		return Deposit{}, err
	}
	vault, err := topicAddress(l.Topics[1], "to")
	if err != nil {
		return Deposit{}, fmt.Errorf("Deposit log: %w", err)
	}
	asset, err := topicAddress(l.Topics[2], "asset")
	if err != nil {
		return Deposit{}, fmt.Errorf("Deposit log: %w", err)
	}
	d := abiword.Data(l.Data)
	amount, err := d.Uint(0, "amount")
	if err != nil {
		return Deposit{}, fmt.Errorf("Deposit log: %w", err)
	}
	memo, err := d.Bytes(1, 2, "memo", false)
	if err != nil {
		return Deposit{}, fmt.Errorf("Deposit log: %w", err)
	}
	return Deposit{Router: l.Address, Vault: vault, Asset: asset, Amount: amount, Memo: string(memo)}, nil
}

// DecodeTransferOut decodes a router TransferOut log, as strictly as
// DecodeDeposit.
func DecodeTransferOut(l chains.Log) (TransferOut, error) {
	if err := checkTopics(l, TransferOutTopic, "TransferOut"); err != nil {
		return TransferOut{}, err
	}
	vault, err := topicAddress(l.Topics[1], "vault")
	if err != nil {
		return TransferOut{}, fmt.Errorf("TransferOut log: %w", err)
	}
	to, err := topicAddress(l.Topics[2], "to")
	if err != nil {
		return TransferOut{}, fmt.Errorf("TransferOut log: %w", err)
	}
	d := abiword.Data(l.Data)
	asset, err := d.Address(0, "asset")
	if err != nil {
		return TransferOut{}, fmt.Errorf("TransferOut log: %w", err)
	}
	amount, err := d.Uint(1, "amount")
	if err != nil {
		return TransferOut{}, fmt.Errorf("TransferOut log: %w", err)
	}
	memo, err := d.Bytes(2, 3, "memo", false)
	if err != nil {
		return TransferOut{}, fmt.Errorf("TransferOut log: %w", err)
	}
	return TransferOut{Router: l.Address, Vault: vault, To: to, Asset: asset, Amount: amount, Memo: string(memo)}, nil
}

func checkTopics(l chains.Log, want [32]byte, name string) error {
	if len(l.Topics) == 0 || l.Topics[0] != want {
		return fmt.Errorf("log is not a router %s event (topic0 differs)", name)
	}
	if len(l.Topics) != 3 {
		return fmt.Errorf("%s log has %d topics, want 3", name, len(l.Topics))
	}
	return nil
}

// topicAddress reads an indexed address: 12 zero bytes, then 20.
func topicAddress(t [32]byte, name string) (string, error) {
	return abiword.WordAddress(t, name)
}
