// Package chains holds the chain-neutral types that every follower emits and
// every consumer reads: block references, blocks, transactions, transfers,
// assets and the events of the follower contract; and what the followers
// and the tracer's catch-up share: FetchRange, the ordered,
// bounded-concurrency fetch of a range of blocks, and Backoff, the wait
// between retries of a failing node.
//
// The contract (see docs/architecture.md, "Follower order"): a follower emits Connected
// blocks parent-first; when the node switches branch it emits Disconnected
// for each orphaned block, newest first, then Connected for the new branch.
// It persists its checkpoint only after the handler has returned nil for a
// block, so a restart neither skips nor repeats one.
package chains

import (
	"context"
	"fmt"
	"math/big"
	"time"
)

// Chain names a blockchain chainhound follows.
type Chain string

const (
	Ethereum Chain = "ethereum"
	Bitcoin  Chain = "bitcoin"
)

// ParseChain returns the Chain named s, or an error naming s.
func ParseChain(s string) (Chain, error) {
	switch Chain(s) {
	case Ethereum, Bitcoin:
		return Chain(s), nil
	}
	return "", fmt.Errorf("unknown chain %q (want ethereum or bitcoin)", s)
}

// BlockRef identifies a block. Hashes are lowercase hex: "0x"-prefixed on
// Ethereum, without prefix (display byte order) on Bitcoin.
type BlockRef struct {
	Number uint64    `json:"number"`
	Hash   string    `json:"hash"`
	Parent string    `json:"parent,omitempty"`
	Time   time.Time `json:"time,omitempty"`
}

func (r BlockRef) String() string { return fmt.Sprintf("%d/%s", r.Number, r.Hash) }

// Asset is what a transfer moves. Contract is empty for the chain's native
// asset (ETH, BTC) and the lowercase contract address for a token.
type Asset struct {
	Symbol   string `json:"symbol"`
	Contract string `json:"contract,omitempty"`
	Decimals uint8  `json:"decimals"`
}

var (
	ETH = Asset{Symbol: "ETH", Decimals: 18}
	BTC = Asset{Symbol: "BTC", Decimals: 8}
)

// Key is the asset's identity for maps: "" for native, else the contract.
func (a Asset) Key() string { return a.Contract }

// TransferKind says where a transfer came from.
type TransferKind uint8

const (
	// Native is the value of a top-level Ethereum transaction.
	Native TransferKind = iota + 1
	// Internal is value moved by a contract call (call trace).
	Internal
	// Token is an ERC-20 Transfer log.
	Token
	// NFT is an ERC-721 Transfer log; Amount holds the token id.
	NFT
	// Fee is gasUsed × effectiveGasPrice from the sender to FeeSink.
	Fee
	// Wrap is a WETH Deposit: ETH in, WETH minted to the depositor.
	Wrap
	// Unwrap is a WETH Withdrawal: WETH burned, ETH paid out.
	Unwrap
)

var transferKindNames = [...]string{"", "native", "internal", "token", "nft", "fee", "wrap", "unwrap"}

func (k TransferKind) String() string {
	if int(k) < len(transferKindNames) && k != 0 {
		return transferKindNames[k]
	}
	return fmt.Sprintf("TransferKind(%d)", uint8(k))
}

// FeeSink is the pseudo-address that receives fees, so balances conserve.
const FeeSink = "fee"

// Transfer is one movement of value on the account model (Ethereum).
// Addresses are lowercase hex with 0x. Transfers of a block are ordered by
// (TxIndex, Seq).
type Transfer struct {
	Kind     TransferKind
	TxIndex  int // the transaction's index in its block
	Seq      int // order within the transaction: value first, then internal calls and logs in execution order, the fee last
	LogIndex int // the log's index in the block for Token/NFT/Wrap/Unwrap, else -1
	From     string
	To       string
	Asset    Asset
	Amount   *big.Int
}

// Outpoint names a Bitcoin transaction output.
type Outpoint struct {
	Tx    string // txid, lowercase hex, display order
	Index uint32
}

func (o Outpoint) String() string { return fmt.Sprintf("%s:%d", o.Tx, o.Index) }

// Input spends an outpoint. Value and Address are filled only when resolved
// (see PrevoutResolver); Coinbase inputs spend nothing.
//
// Address may also be known without Resolved when the spending script
// reveals it; Value is then unknown. A follower may leave that derivation
// to whoever needs it: it keeps the spending data in SigScript and Witness
// and the block's Addresser derives the address on demand — read it with
// Block.InputAddress, not the field.
type Input struct {
	Prev     Outpoint
	Value    int64  // satoshi; valid when Resolved
	Address  string // valid when Resolved, or once derived
	Coinbase bool
	Resolved bool
	derived  bool // Address holds what the Addresser derived

	// The input's scriptSig and its serialized witness stack (item count,
	// then length-prefixed items), both slices of the block's bytes: copy
	// them to keep them beyond the block.
	SigScript []byte
	Witness   []byte
}

// ScriptClass names an output script's type.
type ScriptClass string

const (
	P2PKH       ScriptClass = "p2pkh"
	P2SH        ScriptClass = "p2sh"
	P2WPKH      ScriptClass = "p2wpkh"
	P2WSH       ScriptClass = "p2wsh"
	P2TR        ScriptClass = "p2tr"
	P2A         ScriptClass = "p2a"
	P2PK        ScriptClass = "p2pk"
	Multisig    ScriptClass = "multisig"
	NullData    ScriptClass = "op_return"
	NonStandard ScriptClass = "nonstandard"
)

// Output is one Bitcoin transaction output. Address is the network's
// encoding; for bare multisig and non-standard scripts a stable identifier
// "script:<sha256 hex of the script>"; for OP_RETURN "op_return:<hex data>".
// A follower may leave Address empty and Script set, for the block's
// Addresser to encode on demand: read it with Block.OutputAddress.
type Output struct {
	Index   uint32
	Value   int64 // satoshi
	Address string
	Class   ScriptClass
	Data    []byte // the pushed data of an OP_RETURN output
	Script  []byte // the output script, a slice of the block's bytes (copy it to keep it)
}

// Tx is one transaction of a block. Ethereum fills the account-model
// fields, Bitcoin the UTXO fields.
type Tx struct {
	Hash  string // lowercase hex ("0x"-prefixed on Ethereum)
	Index int    // position in the block

	// Account model.
	From      string
	To        string // "" for contract creation
	Failed    bool   // receipt status 0: moves no value, pays its fee
	GasPrice  *big.Int
	Transfers []Transfer
	// Logs are the transaction's event logs that a consumer asked the
	// follower to keep (by topic0: a mixer's or bridge's events), in
	// block order; the follower drops every other log.
	Logs []Log

	// UTXO model.
	Inputs  []Input
	Outputs []Output
}

// Log is one event log of an Ethereum transaction, kept for the
// recognisers of mixers and bridges.
type Log struct {
	Index   int    // the log's index in the block
	Address string // the emitting contract, lowercase hex with 0x
	Topics  [][32]byte
	Data    []byte
}

// TxLog is an event log with where it was emitted, as a log query
// (eth_getLogs) returns it.
type TxLog struct {
	Block uint64
	Tx    string
	Log   Log
}

// Block is a block with its transactions in block order. Deriving its
// deferred addresses (OutputAddress, InputAddress, DeriveAddresses) writes
// them into it: one goroutine at a time.
type Block struct {
	Chain Chain
	Ref   BlockRef
	Txs   []Tx

	// Addresser derives the addresses a UTXO follower deferred (nil: every
	// address is in its field already).
	Addresser Addresser
}

// Addresser derives addresses from a UTXO chain's scripts: what an output
// script pays, and what an input's spending data reveals about the output
// it spends ("" when nothing). A follower defers this work because most
// consumers need few of a block's addresses: the tracer asks only for the
// outputs of tainted transactions and, when it watches addresses, for the
// inputs.
type Addresser interface {
	OutputAddress(o *Output) string
	InputAddress(in *Input) string
}

// OutputAddress returns o's address, deriving it (once) when the follower
// deferred it. o must be an output of b.
func (b *Block) OutputAddress(o *Output) string {
	if o.Address == "" && b.Addresser != nil {
		o.Address = b.Addresser.OutputAddress(o)
	}
	return o.Address
}

// InputAddress returns the address in's spent output paid, when resolved
// or revealed by its spending data ("" when unknown), deriving it once.
func (b *Block) InputAddress(in *Input) string {
	if in.Address == "" && !in.derived && !in.Coinbase && b.Addresser != nil {
		in.Address, in.derived = b.Addresser.InputAddress(in), true
	}
	return in.Address
}

// DeriveAddresses fills every deferred address of b: for consumers that
// want them all (printing a block, tests).
func (b *Block) DeriveAddresses() {
	if b.Addresser == nil {
		return
	}
	for i := range b.Txs {
		tx := &b.Txs[i]
		for j := range tx.Inputs {
			b.InputAddress(&tx.Inputs[j])
		}
		for j := range tx.Outputs {
			b.OutputAddress(&tx.Outputs[j])
		}
	}
}

// EventType is the kind of a follower event.
type EventType uint8

const (
	// Connected: Block joins the canonical chain (parent-first order).
	Connected EventType = iota + 1
	// Disconnected: Block left the canonical chain (newest first).
	Disconnected
	// Confirmed: the block Ref reached the configured confirmation depth.
	Confirmed
	// Pending: Tx was seen in the mempool (not yet in a block); sent once.
	Pending
)

var eventTypeNames = [...]string{"", "connected", "disconnected", "confirmed", "pending"}

func (t EventType) String() string {
	if int(t) < len(eventTypeNames) && t != 0 {
		return eventTypeNames[t]
	}
	return fmt.Sprintf("EventType(%d)", uint8(t))
}

// Event is what a follower emits.
type Event struct {
	Type  EventType
	Chain Chain
	// Block is set for Connected and Disconnected.
	Block *Block
	// Ref is the block concerned (also set for Connected/Disconnected).
	Ref BlockRef
	// Head is the node's head height when the event was emitted, so the
	// consumer can compute depth = Head - Ref.Number + 1.
	Head uint64
	// Tx is set for Pending.
	Tx *Tx
}

// Handler processes one event. Returning nil acknowledges it: only then
// may the follower checkpoint past it. A non-nil error stops the follower.
type Handler func(ctx context.Context, ev Event) error

// Follower follows one node of one chain.
type Follower interface {
	Chain() Chain
	// Run follows the node until ctx is done or h returns an error,
	// delivering events in the contract's order.
	Run(ctx context.Context, h Handler) error
	// Status reports progress for /healthz and metrics.
	Status() Status
}

// Status is a follower's progress.
type Status struct {
	Network       string
	Head          uint64 // the node's head
	Processed     uint64 // last block acknowledged by the handler
	LastBlockTime time.Time
	Connected     bool
}

// CheckpointStore persists a follower's last acknowledged block.
type CheckpointStore interface {
	// Checkpoint returns the last saved block of chain; ok is false when
	// none was saved.
	Checkpoint(ctx context.Context, chain Chain) (ref BlockRef, ok bool, err error)
	SaveCheckpoint(ctx context.Context, chain Chain, ref BlockRef) error
}

// BlockSource fetches canonical blocks by height, for catch-up replays.
type BlockSource interface {
	BlockByNumber(ctx context.Context, n uint64) (*Block, error)
	HeadNumber(ctx context.Context) (uint64, error)
}

// BalanceReader reads an account's balance of an asset at a block (account
// model only): the clean part of an address the first time taint reaches it.
type BalanceReader interface {
	BalanceAt(ctx context.Context, address string, asset Asset, block uint64) (*big.Int, error)
}

// BalanceQuery names one balance for BatchBalanceReader: an address and
// an asset.
type BalanceQuery struct {
	Address string
	Asset   Asset
}

// BatchBalanceReader is a BalanceReader that also reads many balances at
// one block in few round trips, for a catch-up that reads ahead the clean
// balances of the holders it is about to make. BalancesAt returns one
// balance per query, in order, or an error naming the node and the
// address that failed.
type BatchBalanceReader interface {
	BalanceReader
	BalancesAt(ctx context.Context, qs []BalanceQuery, block uint64) ([]*big.Int, error)
}

// PrevoutResolver resolves the value and address of outpoints (UTXO model).
type PrevoutResolver interface {
	Prevouts(ctx context.Context, ops []Outpoint) ([]Output, error)
}

// TxLocator finds the canonical block that holds a transaction, so an
// incident seeded by a theft transaction knows where to start.
type TxLocator interface {
	TxBlock(ctx context.Context, tx string) (BlockRef, error)
}
