package chainstest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

func ref(n uint64, branch string) chains.BlockRef {
	parent := fmt.Sprintf("%s%d", branch, n-1)
	if n == 1 {
		parent = "genesis"
	}
	return chains.BlockRef{Number: n, Hash: fmt.Sprintf("%s%d", branch, n), Parent: parent}
}

func connected(r chains.BlockRef, txs ...string) chains.Event {
	b := &chains.Block{Ref: r}
	for _, h := range txs {
		b.Txs = append(b.Txs, chains.Tx{Hash: h})
	}
	return chains.Event{Type: chains.Connected, Ref: r, Block: b, Head: r.Number + 5}
}

func disconnected(r chains.BlockRef, txs ...string) chains.Event {
	ev := connected(r, txs...)
	ev.Type = chains.Disconnected
	return ev
}

func TestContract(t *testing.T) {
	a1, a2, a3 := ref(1, "a"), ref(2, "a"), ref(3, "a")
	b2 := chains.BlockRef{Number: 2, Hash: "b2", Parent: "a1"}
	b3 := ref(3, "b")
	pending := func(h string) chains.Event { return chains.Event{Type: chains.Pending, Tx: &chains.Tx{Hash: h}} }
	confirmed := func(r chains.BlockRef) chains.Event { return chains.Event{Type: chains.Confirmed, Ref: r} }
	for _, tc := range []struct {
		name   string
		events []chains.Event
		want   string // "" for no breach
	}{
		{"a reorg done right", []chains.Event{connected(a1), connected(a2, "t1"), connected(a3), pending("t9"),
			disconnected(a3), disconnected(a2, "t1"), pending("t1"), connected(b2), connected(b3), confirmed(a1), confirmed(b2)}, ""},
		{"gap", []chains.Event{connected(a1), connected(a3)}, "connected 3 a3 on top of 1 a1"},
		{"wrong parent", []chains.Event{connected(a1), connected(a2), connected(b3)}, "connected 3 b3 on top of 2 a2"},
		{"repeat", []chains.Event{connected(a1), connected(a2), connected(a2)}, "connected 2 a2 on top of 2 a2"},
		{"oldest orphan first", []chains.Event{connected(a1), connected(a2), connected(a3), disconnected(a2)}, "disconnected 2 a2, but the tip is 3 a3"},
		{"head below the block", []chains.Event{{Type: chains.Connected, Ref: a1, Block: &chains.Block{Ref: a1}, Head: 0}}, "connected 1 with head 0"},
		{"no block", []chains.Event{{Type: chains.Connected, Ref: a1, Head: 3}}, "connected 1 a1 without its block"},
		{"confirmed twice", []chains.Event{connected(a1), confirmed(a1), confirmed(a1)}, "confirmed 1 a1 twice"},
		{"confirmed off the chain", []chains.Event{connected(a1), connected(a2), confirmed(b2)}, "confirmed 2 b2, which is not on the chain"},
		{"pending after mined", []chains.Event{connected(a1, "t1"), pending("t1")}, "pending t1 after it was delivered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Contract
			for _, ev := range tc.events {
				c.Observe(ev)
			}
			errs := c.Errors()
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Fatalf("breaches in a valid sequence: %v", errs)
			case tc.want != "" && (len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.want)):
				t.Fatalf("got %v, want %q", errs, tc.want)
			}
		})
	}
}

// TestContractAfterRestart: a consumer that resumes from a checkpoint
// checks from it when told it, and takes what comes before the first
// Connected otherwise.
func TestContractAfterRestart(t *testing.T) {
	a1, a2, a3 := ref(1, "a"), ref(2, "a"), ref(3, "a")
	var told Contract
	told.Start(a2)
	told.Observe(disconnected(a2))
	told.Observe(connected(chains.BlockRef{Number: 2, Hash: "b2", Parent: "a1"}))
	if errs := told.Errors(); len(errs) > 0 {
		t.Fatalf("told the checkpoint: %v", errs)
	}
	told.Observe(connected(a3))
	if len(told.Errors()) != 1 {
		t.Fatalf("a3 on b2 not caught: %v", told.Errors())
	}
	var fresh Contract
	fresh.Observe(disconnected(a3))
	fresh.Observe(connected(chains.BlockRef{Number: 3, Hash: "c3", Parent: "a2"}))
	if errs := fresh.Errors(); len(errs) > 0 {
		t.Fatalf("untold: %v", errs)
	}
	// After an unwind, the orphan's parent is the tip.
	var unwound Contract
	unwound.Observe(disconnected(a3))
	unwound.Observe(connected(a1))
	if errs := unwound.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "on top of 2 a2") {
		t.Fatalf("connected 1 after unwinding 3: %v", errs)
	}
	// A restarted follower may confirm again.
	var again Contract
	again.Observe(connected(a1))
	again.Observe(chains.Event{Type: chains.Confirmed, Ref: a1})
	again.Restart()
	again.Observe(chains.Event{Type: chains.Confirmed, Ref: a1})
	again.Observe(connected(a2))
	if errs := again.Errors(); len(errs) > 0 {
		t.Fatalf("re-confirmed after a restart: %v", errs)
	}
}
