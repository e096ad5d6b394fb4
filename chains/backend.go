package chains

import (
	"context"
	"errors"
)

// Backend is what chainhound's daemon needs of a followed chain: a
// Follower (Run, Status) that is also a BlockSource and a TxLocator, can
// check its node (what Run asks it first: network, index) and is closed
// once Run has returned.
//
// The capabilities one chain has and another lacks are found by
// interface assertion, never by chain name: an account-model chain is a
// BalanceReader (and may be a BatchBalanceReader), a UTXO chain a
// PrevoutResolver. What the tracer adds for a chain (recognisers,
// CoinJoin detection) hangs off the chain's registration in
// internal/daemon (chains.go), since chains knows nothing of taint.
type Backend interface {
	Follower
	BlockSource
	TxLocator
	// Check asks the node what Run asks first and returns what would
	// stop Run (wrong network, no transaction index, unreachable).
	Check(ctx context.Context) error
	// Close releases the node's connections. Call it after Run returned.
	Close()
}

// ErrNoCheckpoints is what Run returns on a follower opened as a block
// reader (the chain packages' OpenReader): it has no checkpoint store, so
// it reads blocks, locates transactions and reads balances or prevouts,
// but cannot follow.
var ErrNoCheckpoints = errors.New("opened as a block reader, without a checkpoint store: it cannot follow the chain")

// NoCheckpoints is the checkpoint store of a follower opened as a block
// reader: it holds nothing and refuses to save (ErrNoCheckpoints).
type NoCheckpoints struct{}

// Checkpoint returns ErrNoCheckpoints.
func (NoCheckpoints) Checkpoint(context.Context, Chain) (BlockRef, bool, error) {
	return BlockRef{}, false, ErrNoCheckpoints
}

// SaveCheckpoint returns ErrNoCheckpoints.
func (NoCheckpoints) SaveCheckpoint(context.Context, Chain, BlockRef) error {
	return ErrNoCheckpoints
}

// Reader reports whether cp is NoCheckpoints: its follower was opened as
// a block reader, and Run refuses to follow.
func Reader(cp CheckpointStore) bool {
	_, ok := cp.(NoCheckpoints)
	return ok
}
