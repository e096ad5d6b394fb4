package thorchain

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"

	"github.com/chainhound/chainhound/chains"
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
	d := abiData(l.Data)
	amount, err := d.uint(0, "amount")
	if err != nil {
		return Deposit{}, fmt.Errorf("Deposit log: %w", err)
	}
	memo, err := d.string(1, 2, "memo")
	if err != nil {
		return Deposit{}, fmt.Errorf("Deposit log: %w", err)
	}
	return Deposit{Router: l.Address, Vault: vault, Asset: asset, Amount: amount, Memo: memo}, nil
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
	d := abiData(l.Data)
	asset, err := d.address(0, "asset")
	if err != nil {
		return TransferOut{}, fmt.Errorf("TransferOut log: %w", err)
	}
	amount, err := d.uint(1, "amount")
	if err != nil {
		return TransferOut{}, fmt.Errorf("TransferOut log: %w", err)
	}
	memo, err := d.string(2, 3, "memo")
	if err != nil {
		return TransferOut{}, fmt.Errorf("TransferOut log: %w", err)
	}
	return TransferOut{Router: l.Address, Vault: vault, To: to, Asset: asset, Amount: amount, Memo: memo}, nil
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
	return wordAddress(t, name)
}

func wordAddress(w [32]byte, name string) (string, error) {
	for _, b := range w[:12] {
		if b != 0 {
			return "", fmt.Errorf("%s is not an address (high bytes are set)", name)
		}
	}
	return "0x" + hex.EncodeToString(w[12:]), nil
}

// abiData is a log's non-indexed ABI data: 32-byte words.
type abiData []byte

func (d abiData) word(i int, name string) ([32]byte, error) {
	if i < 0 || len(d)/32 <= i {
		return [32]byte{}, fmt.Errorf("data is %d bytes, too short for %s (word %d)", len(d), name, i)
	}
	return [32]byte(d[i*32 : i*32+32]), nil
}

func (d abiData) uint(i int, name string) (*big.Int, error) {
	w, err := d.word(i, name)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(w[:]), nil
}

func (d abiData) address(i int, name string) (string, error) {
	w, err := d.word(i, name)
	if err != nil {
		return "", err
	}
	return wordAddress(w, name)
}

// string reads a dynamic string whose offset is head word i. heads is the
// number of head words: the tail starts after them, so the offset must be
// at least heads*32, word aligned, and offset+32+length within the data.
func (d abiData) string(i, heads int, name string) (string, error) {
	w, err := d.word(i, name+" offset")
	if err != nil {
		return "", err
	}
	off, err := smallWord(w, name+" offset")
	if err != nil {
		return "", err
	}
	if off < heads*32 || off%32 != 0 {
		return "", fmt.Errorf("%s offset %d is not a word-aligned tail offset (head is %d bytes)", name, off, heads*32)
	}
	if off > len(d)-32 {
		return "", fmt.Errorf("%s offset %d leaves no room for its length in %d bytes of data", name, off, len(d))
	}
	n, err := smallWord([32]byte(d[off:off+32]), name+" length")
	if err != nil {
		return "", err
	}
	start := off + 32
	if n > len(d)-start {
		return "", fmt.Errorf("%s length %d runs past the data (%d bytes after the length word)", name, n, len(d)-start)
	}
	return string(d[start : start+n]), nil
}

// smallWord reads a word that must fit comfortably in an int (an offset or
// a length within a log's data).
func smallWord(w [32]byte, name string) (int, error) {
	for _, b := range w[:28] {
		if b != 0 {
			return 0, errors.New(name + " is out of range")
		}
	}
	v := int(w[28])<<24 | int(w[29])<<16 | int(w[30])<<8 | int(w[31])
	if v < 0 || v > 1<<30 {
		return 0, errors.New(name + " is out of range")
	}
	return v, nil
}
