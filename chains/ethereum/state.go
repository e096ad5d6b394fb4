package ethereum

import (
	"strings"

	"github.com/chainhound/chainhound/chains"
)

// prunedStateMessages are what geth (and clients that copy its wording)
// answer for a read of state the node has pruned: the path scheme's
// "historical state … is not available", the hash scheme's "missing trie
// node", and the tracers' "required historical state unavailable".
var prunedStateMessages = []string{
	"historical state",
	"missing trie node",
	"state is not available",
	"state not available",
}

// asStateUnavailable turns a node's "state pruned" answer to a read at
// block into a *chains.StateUnavailableError; any other error is
// returned as it is.
func asStateUnavailable(err error, block uint64) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	lower := strings.ToLower(msg)
	for _, m := range prunedStateMessages {
		if strings.Contains(lower, m) {
			return &chains.StateUnavailableError{Chain: chains.Ethereum, Block: block, NodeMessage: msg}
		}
	}
	return err
}
