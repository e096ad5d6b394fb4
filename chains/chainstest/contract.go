// Package chainstest is the follower conformance suite, as lnd's
// chainntnfs/test is for its notifiers: Run runs the same scenarios on
// every backend (chains/ethereum, chains/bitcoin) through its Harness,
// and Contract checks the follower contract of docs/architecture.md
// ("Follower order") on every event a follower delivers.
package chainstest

import (
	"fmt"
	"sync"

	"github.com/chainhound/chainhound/chains"
)

// Contract watches the events one consumer acknowledged, in order, and
// records every breach of the contract:
//   - Connected extends the tip: its parent is the tip and its number the
//     tip's plus one, and the node's head is not below it;
//   - Disconnected removes exactly the tip (so orphans come newest first);
//   - Confirmed names a block of the chain, once while it stays there;
//   - Pending never names a transaction of a block on the chain (a pending
//     transaction later mined is not announced again).
//
// A consumer started from a checkpoint has not seen the blocks below it:
// until the first event, events about blocks it never saw are taken as
// they come (Start can tell it the checkpoint instead). A follower that
// starts again for the same consumer is announced by Restart.
type Contract struct {
	mu        sync.Mutex
	chain     []chains.BlockRef
	confirmed map[string]bool
	mined     map[string]int // txs of the blocks on the chain
	errs      []error
}

// Start tells c the consumer's tip before the first event (its
// checkpoint after a restart).
func (c *Contract) Start(tip chains.BlockRef) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.chain = []chains.BlockRef{tip}
}

// Restart tells c that the follower starts again for the same consumer:
// it resumes from the consumer's tip and may confirm again what it
// confirmed before (the followers re-confirm what the consumer may have
// missed), so earlier confirmations are forgotten.
func (c *Contract) Restart() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.confirmed)
}

// Observe checks ev against the events before it.
func (c *Contract) Observe(ev chains.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.confirmed == nil {
		c.confirmed, c.mined = map[string]bool{}, map[string]int{}
	}
	bad := func(format string, args ...any) { c.errs = append(c.errs, fmt.Errorf(format, args...)) }
	tip, known := c.tip()
	switch ev.Type {
	case chains.Connected:
		if known && (ev.Ref.Parent != tip.Hash || ev.Ref.Number != tip.Number+1) {
			bad("connected %d %s on top of %d %s", ev.Ref.Number, ev.Ref.Hash, tip.Number, tip.Hash)
		}
		if ev.Head < ev.Ref.Number {
			bad("connected %d with head %d", ev.Ref.Number, ev.Head)
		}
		if ev.Block == nil {
			bad("connected %d %s without its block", ev.Ref.Number, ev.Ref.Hash)
		} else if ev.Block.Ref != ev.Ref {
			bad("connected %s carries block %s", ev.Ref.Hash, ev.Block.Ref.Hash)
		}
		c.chain = append(c.chain, ev.Ref)
		if ev.Block != nil {
			for _, tx := range ev.Block.Txs {
				c.mined[tx.Hash]++
			}
		}
	case chains.Disconnected:
		switch {
		case known && ev.Ref.Hash != tip.Hash:
			bad("disconnected %d %s, but the tip is %d %s", ev.Ref.Number, ev.Ref.Hash, tip.Number, tip.Hash)
		case known:
			c.chain = c.chain[:len(c.chain)-1]
		}
		if len(c.chain) == 0 && ev.Ref.Number > 0 {
			// The parent is the tip now, though no event showed it.
			c.chain = append(c.chain, chains.BlockRef{Number: ev.Ref.Number - 1, Hash: ev.Ref.Parent})
		}
		delete(c.confirmed, ev.Ref.Hash)
		if ev.Block != nil {
			for _, tx := range ev.Block.Txs {
				if c.mined[tx.Hash]--; c.mined[tx.Hash] <= 0 {
					delete(c.mined, tx.Hash)
				}
			}
		}
	case chains.Confirmed:
		if c.confirmed[ev.Ref.Hash] {
			bad("confirmed %d %s twice", ev.Ref.Number, ev.Ref.Hash)
		}
		c.confirmed[ev.Ref.Hash] = true
		if known && !c.holds(ev.Ref) && ev.Ref.Number > c.chain[0].Number {
			bad("confirmed %d %s, which is not on the chain", ev.Ref.Number, ev.Ref.Hash)
		}
	case chains.Pending:
		if ev.Tx == nil {
			bad("pending event without a transaction")
			break
		}
		if c.mined[ev.Tx.Hash] > 0 {
			bad("pending %s after it was delivered in a block still on the chain", ev.Tx.Hash)
		}
	default:
		bad("event of unknown type %d", ev.Type)
	}
}

func (c *Contract) tip() (chains.BlockRef, bool) {
	if len(c.chain) == 0 {
		return chains.BlockRef{}, false
	}
	return c.chain[len(c.chain)-1], true
}

// holds reports whether ref is on the chain c has seen.
func (c *Contract) holds(ref chains.BlockRef) bool {
	for i := len(c.chain) - 1; i >= 0; i-- {
		if c.chain[i].Hash == ref.Hash {
			return true
		}
	}
	return false
}

// Tip is the consumer's tip as the events left it.
func (c *Contract) Tip() chains.BlockRef {
	c.mu.Lock()
	defer c.mu.Unlock()
	tip, _ := c.tip()
	return tip
}

// Chain is the chain as the events left it, oldest first.
func (c *Contract) Chain() []chains.BlockRef {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]chains.BlockRef(nil), c.chain...)
}

// Errors returns the breaches seen so far.
func (c *Contract) Errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
}

// TB is the part of testing.TB that Check needs.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Check reports every breach to t.
func (c *Contract) Check(t TB) {
	t.Helper()
	for _, err := range c.Errors() {
		t.Errorf("follower contract: %v", err)
	}
}
