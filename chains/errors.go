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
