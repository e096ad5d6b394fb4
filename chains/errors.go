package chains

import "fmt"

// StateUnavailableError is a node refusing a read because it no longer
// keeps the state of that block: a full (pruning) node keeps only recent
// states (geth: the last 128 blocks), and reading an older balance or
// tracing an older block needs an archive node.
type StateUnavailableError struct {
	Chain Chain
	Block uint64 // the block whose state was asked for
	// NodeMessage is what the node said (for example geth's "historical
	// state is not available").
	NodeMessage string
}

func (e *StateUnavailableError) Error() string {
	return fmt.Sprintf("%s node has no state for block %d (%s): it prunes old state; an archive node is needed for that block", e.Chain, e.Block, e.NodeMessage)
}

// TxNotFoundError is a node answering that it has no transaction by that
// hash in its chain: not mined (yet), another network's, or mistyped.
type TxNotFoundError struct {
	Chain Chain
	Tx    string
	// Hint says what else may be wrong (a Bitcoin node without -txindex).
	Hint string
}

func (e *TxNotFoundError) Error() string {
	s := fmt.Sprintf("%s transaction %s not found on the node's chain", e.Chain, e.Tx)
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}
