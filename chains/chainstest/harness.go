package chainstest

import (
	"testing"

	"github.com/chainhound/chainhound/chains"
)

// Harness is what a backend gives Run: fresh real nodes of its chain and
// followers of them.
type Harness interface {
	// Chain is the chain the backend follows.
	Chain() chains.Chain
	// NewNode starts a fresh node (and whatever it needs to switch
	// branch), stopped when t ends. Scenarios count blocks from its head
	// at that time.
	NewNode(t *testing.T) Node
	// CheckStop checks, beyond what the suite asserts for every backend,
	// the error with which Run stopped itself in scenario (one of the
	// Scenario constants): the words this backend uses for it.
	CheckStop(t *testing.T, scenario string, err error)
	// Reconfirmed is the first block a follower restarted from a
	// checkpoint confirms again when confirmations is the depth: the
	// followers differ in how far below the checkpoint they assume a
	// confirmation may have been lost.
	Reconfirmed(checkpoint, confirmations uint64) uint64
	// ConfirmsGenesis reports whether block 0 is confirmed too.
	ConfirmsGenesis() bool
	// Skip returns why the backend skips scenario, or "" to run it.
	Skip(scenario string) string
}

// Node is a real node a follower reads, as the suite drives it.
type Node interface {
	// Mine mines n blocks on the branch the node follows; they are
	// served when it returns.
	Mine(t *testing.T, n int)
	// Head is the node's head.
	Head(t *testing.T) chains.BlockRef
	// HashAt is the hash of the node's canonical block at n.
	HashAt(t *testing.T, n uint64) string
	// Fork starts a rival branch at the node's head. Mine keeps mining
	// on the branch the node follows until Switch.
	Fork(t *testing.T)
	// Switch mines n blocks on the rival branch started by the last Fork
	// (more than Mine mined since) and makes the node adopt it; the
	// rival's tip is the node's head when it returns.
	Switch(t *testing.T, n int)
	// Pay sends a transaction to the node's mempool.
	Pay(t *testing.T) Payment
	// Stop makes the node vanish for its followers: refused connections,
	// dropped subscriptions (the harness stops the node, or cuts the
	// connection to one that cannot restart with its chain). Start brings
	// it back with the same chain at the same address.
	Stop(t *testing.T)
	Start(t *testing.T)
	// Unknown is a well-formed block hash the node has never seen.
	Unknown() string
	// Follow returns a follower of the node for cfg (not yet running).
	Follow(t *testing.T, cfg Config) Follower
}

// Config is what a scenario asks of a follower.
type Config struct {
	Checkpoints         chains.CheckpointStore
	StartBlock          uint64 // used when Checkpoints holds none
	Confirmations       uint64 // 0: the backend's test default
	BackfillConcurrency int    // 0: the follower's default
	Mempool             bool
	// WrongNetwork configures a network other than the node's.
	WrongNetwork bool
}

// Follower is a backend's follower as the suite runs it.
type Follower interface {
	chains.Follower
	Close()
}

// Payment is a transaction Pay sent.
type Payment struct {
	Hash string
	// Check checks the Pending event of the transaction (st is the
	// follower's status when the event was handled).
	Check func(t *testing.T, ev chains.Event, st chains.Status)
	// Stopped, when set, checks the follower after Run returned (it is
	// the follower the node's last Follow returned).
	Stopped func(t *testing.T)
}

// The scenarios Run runs, by their subtest names.
const (
	ScenarioReorg                = "reorg"
	ScenarioRestartMidBackfill   = "restart mid-backfill"
	ScenarioRestartMidUnwind     = "restart mid-stream, refused mid-unwind"
	ScenarioBackfillInOrder      = "backfill in order"
	ScenarioConfirmed            = "confirmed once"
	ScenarioConfirmedRestart     = "confirmed once across a restart"
	ScenarioUnknownCheckpoint    = "unknown checkpoint"
	ScenarioWrongNetwork         = "wrong network"
	ScenarioNodeVanishes         = "node vanishes and returns"
	ScenarioPendingThenConnected = "pending then connected once"
)
