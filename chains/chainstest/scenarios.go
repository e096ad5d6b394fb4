package chainstest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/chains"
)

// testReorg: the node switches branch 1 and 10 blocks deep under a
// running follower, which must disconnect exactly the orphans, newest
// first, each with its block, then connect the new branch's blocks.
func testReorg(t *testing.T, h Harness) {
	n := h.NewNode(t)
	base := n.Head(t).Number
	n.Mine(t, 5)
	st := newStore(t)
	c := newConsumer(t)
	r := start(t, n, Config{Checkpoints: st.s, StartBlock: base + 1, Confirmations: 3}, c)
	r.waitTip(t, n)
	if got, _ := c.Since(0); !slices.Equal(got, seq("+", base+1, base+5)) {
		t.Fatalf("initial events %v", got)
	}
	for _, depth := range []uint64{1, 10} {
		t.Run(fmt.Sprintf("%d deep", depth), func(t *testing.T) {
			n.Fork(t)
			n.Mine(t, int(depth))
			tip := r.waitTip(t, n)
			ancestor := tip.Number - depth
			mark := c.Count()
			n.Switch(t, int(depth)+1)
			if n.Head(t).Hash == tip.Hash {
				t.Fatal("the switch left the same head")
			}
			r.waitTip(t, n)
			got, hashes := c.Since(mark)
			want := append(seq("-", tip.Number, ancestor+1), seq("+", ancestor+1, ancestor+depth+1)...)
			if !slices.Equal(got, want) {
				t.Fatalf("events %v, want %v", got, want)
			}
			checkHashes(t, n, ancestor+1, hashes[depth:])
			checkOrphans(t, c, mark)
		})
	}
}

// checkOrphans checks that every Disconnected event from index mark on
// carries the block that was connected under its hash.
func checkOrphans(t *testing.T, c *Recorder, mark int) {
	t.Helper()
	evs := c.Events()
	connected := map[string]*chains.Block{}
	for _, ev := range evs {
		if ev.Type == chains.Connected {
			connected[ev.Ref.Hash] = ev.Block
		}
	}
	for _, ev := range evs[mark:] {
		if ev.Type != chains.Disconnected {
			continue
		}
		was := connected[ev.Ref.Hash]
		switch {
		case ev.Block == nil || ev.Block.Ref != ev.Ref:
			t.Errorf("Disconnected %s does not carry its block", ev.Ref)
		case was != nil && len(was.Txs) != len(ev.Block.Txs):
			t.Errorf("Disconnected %s carries %d transactions, it was connected with %d", ev.Ref, len(ev.Block.Txs), len(was.Txs))
		}
	}
}

// testRestartMidBackfill: the handler refuses a block in the middle of
// a backfill, so Run stops with its error and the checkpoint is the block
// before; while the follower is down the node switches to a branch that
// forks below the checkpoint; restarted, the follower unwinds to the fork
// and delivers the new branch: the consumer's chain is the node's.
func testRestartMidBackfill(t *testing.T, h Harness) {
	n := h.NewNode(t)
	base := n.Head(t).Number
	n.Mine(t, 19)
	n.Fork(t)
	n.Mine(t, 21)
	st := newStore(t)
	c := newConsumer(t)
	refused := errors.New("consumer stops here")
	failAt := base + 23
	c.Refuse(func(ev chains.Event) error {
		if ev.Type == chains.Connected && ev.Ref.Number == failAt {
			return refused
		}
		return nil
	})
	r := start(t, n, Config{Checkpoints: st.s, StartBlock: base + 1, BackfillConcurrency: 4}, c)
	err := r.stopped(t, "the handler refused")
	if !errors.Is(err, refused) || !strings.Contains(err.Error(), n.HashAt(t, failAt)) {
		t.Fatalf("Run = %v, want the handler's error naming block %d", err, failAt)
	}
	h.CheckStop(t, ScenarioRestartMidBackfill, err)
	if ck := checkpoint(t, h, st.s); ck.Number != failAt-1 || ck.Hash != n.HashAt(t, failAt-1) {
		t.Fatalf("checkpoint after refusal at %d: %s, want block %d", failAt, ck, failAt-1)
	}
	if got, _ := c.Since(0); !slices.Equal(got, seq("+", base+1, failAt-1)) {
		t.Fatalf("events before the refusal %v", got)
	}

	// While down: orphan base+20..base+40 (below the checkpoint too) and
	// grow the rival branch to base+45.
	st.reopen(t)
	n.Switch(t, 26)
	c.Refuse(nil)
	mark := c.Count()
	r = start(t, n, Config{Checkpoints: st.s, StartBlock: base + 1, BackfillConcurrency: 3}, c)
	r.waitTip(t, n)
	got, _ := c.Since(mark)
	want := append(seq("-", failAt-1, base+20), seq("+", base+20, base+45)...)
	if !slices.Equal(got, want) {
		t.Fatalf("after the restart: %v, want %v", got, want)
	}
	checkOrphans(t, c, mark)
	checkChain(t, n, c, base+1)
}

// testRestartMidUnwind: the follower is stopped, the node switches
// branch while it is down, and the restarted follower's handler refuses
// the second Disconnected: Run stops with its error having acknowledged
// only the first, and a third run resumes in the middle of the unwinding.
func testRestartMidUnwind(t *testing.T, h Harness) {
	n := h.NewNode(t)
	base := n.Head(t).Number
	n.Mine(t, 3)
	st := newStore(t)
	c := newConsumer(t)
	cfg := func() Config {
		return Config{Checkpoints: st.s, StartBlock: base + 1, BackfillConcurrency: 2}
	}
	r := start(t, n, cfg(), c)
	n.Fork(t)
	n.Mine(t, 2)
	r.waitTip(t, n)
	got, hashes := c.Since(0)
	if !slices.Equal(got, seq("+", base+1, base+5)) {
		t.Fatalf("run 1 events %v", got)
	}
	checkHashes(t, n, base+1, hashes)
	branch := hashes[3:] // base+4, base+5: orphaned below
	if err := r.stop(t); err != nil {
		t.Fatalf("run 1: %v", err)
	}

	st.reopen(t)
	n.Switch(t, 4)
	refused := errors.New("consumer busy")
	c.Refuse(func(ev chains.Event) error {
		if ev.Type == chains.Disconnected && ev.Ref.Hash == branch[0] {
			return refused
		}
		return nil
	})
	mark := c.Count()
	r = start(t, n, cfg(), c)
	err := r.stopped(t, "the handler refused")
	if !errors.Is(err, refused) || !strings.Contains(err.Error(), "disconnect") || !strings.Contains(err.Error(), branch[0]) {
		t.Fatalf("run 2 stopped with %v, want the handler's error naming the disconnection of %s", err, branch[0])
	}
	h.CheckStop(t, ScenarioRestartMidUnwind, err)
	if got, hs := c.Since(mark); !slices.Equal(got, seq("-", base+5, base+5)) || hs[0] != branch[1] {
		t.Fatalf("run 2 events %v %v, want the disconnection of %s only", got, hs, branch[1])
	}
	checkOrphans(t, c, mark)
	if ck := checkpoint(t, h, st.s); ck.Number != base+4 || ck.Hash != branch[0] {
		t.Fatalf("checkpoint after run 2: %s, want %d/%s", ck, base+4, branch[0])
	}

	st.reopen(t)
	c.Refuse(nil)
	mark = c.Count()
	r = start(t, n, cfg(), c)
	r.waitTip(t, n)
	got, hashes = c.Since(mark)
	if want := append(seq("-", base+4, base+4), seq("+", base+4, base+7)...); !slices.Equal(got, want) || hashes[0] != branch[0] {
		t.Fatalf("run 3 events %v, want %v", got, want)
	}
	checkHashes(t, n, base+4, hashes[1:])
	checkOrphans(t, c, mark)
	checkChain(t, n, c, base+1)
	if err := r.stop(t); err != nil {
		t.Fatalf("run 3: %v", err)
	}
}

// testBackfillInOrder: from genesis on a node with 150 blocks, eight
// blocks in flight at a time are still delivered strictly in height
// order, each extending the last, each once, and every block at depth 6
// is confirmed exactly once, with the head on every event.
func testBackfillInOrder(t *testing.T, h Harness) {
	n := h.NewNode(t)
	n.Mine(t, 150)
	head := n.Head(t).Number
	st := newStore(t)
	c := newConsumer(t)
	r := start(t, n, Config{Checkpoints: st.s, StartBlock: 0, BackfillConcurrency: 8, Confirmations: 6}, c)
	r.waitTip(t, n)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	var next uint64
	var parent string
	confirmed := map[uint64]int{}
	for _, ev := range c.Events() {
		if ev.Head < head {
			t.Fatalf("%s event %s with head %d, the node's is %d", ev.Type, ev.Ref, ev.Head, head)
		}
		switch ev.Type {
		case chains.Connected:
			if ev.Ref.Number != next || (next > 0 && ev.Block.Ref.Parent != parent) {
				t.Fatalf("Connected %s after height %d/%s", ev.Ref, next-1, parent)
			}
			if next == 0 && ev.Ref.Hash != n.HashAt(t, 0) {
				t.Fatalf("block 0 is %s, want genesis %s", ev.Ref.Hash, n.HashAt(t, 0))
			}
			next, parent = next+1, ev.Ref.Hash
		case chains.Confirmed:
			if ev.Ref.Number >= next {
				t.Fatalf("Confirmed %s before it was connected", ev.Ref)
			}
			if ev.Head+1 < ev.Ref.Number+6 {
				t.Fatalf("Confirmed %s at head %d: depth below 6", ev.Ref, ev.Head)
			}
			confirmed[ev.Ref.Number]++
		default:
			t.Fatalf("unexpected %s event", ev.Type)
		}
	}
	if next != head+1 {
		t.Fatalf("delivered up to %d, want %d", next-1, head)
	}
	first := uint64(1)
	if h.ConfirmsGenesis() {
		first = 0
	}
	for b := first; b+6 <= head+1; b++ {
		if confirmed[b] != 1 {
			t.Fatalf("block %d confirmed %d times, want once", b, confirmed[b])
		}
	}
	if want := int(head + 1 - 5 - first); len(confirmed) != want {
		t.Fatalf("%d blocks confirmed, want %d", len(confirmed), want)
	}
}

// confirmedIn returns the numbers of the Confirmed events of c, checking
// their hashes against the node's.
func confirmedIn(t *testing.T, n Node, c *Recorder) []uint64 {
	t.Helper()
	var out []uint64
	for _, ev := range c.Find(func(ev chains.Event) bool { return ev.Type == chains.Confirmed }) {
		if w := n.HashAt(t, ev.Ref.Number); ev.Ref.Hash != w {
			t.Errorf("confirmed block %d as %s, node has %s", ev.Ref.Number, ev.Ref.Hash, w)
		}
		out = append(out, ev.Ref.Number)
	}
	return out
}

func (r *running) waitConfirmed(t *testing.T, number uint64) {
	t.Helper()
	r.waitFor(t, fmt.Sprintf("confirmation of block %d", number), func() bool {
		return len(r.c.Find(func(ev chains.Event) bool { return ev.Type == chains.Confirmed && ev.Ref.Number == number })) > 0
	})
}

// testConfirmed: mined one at a time, each block is confirmed once, when
// it reaches the configured depth, and every event carries the head.
func testConfirmed(t *testing.T, h Harness) {
	n := h.NewNode(t)
	base := n.Head(t).Number
	st := newStore(t)
	c := newConsumer(t)
	r := start(t, n, Config{Checkpoints: st.s, StartBlock: base + 1, Confirmations: 3}, c)
	for range 6 {
		n.Mine(t, 1)
		r.waitTip(t, n)
	}
	r.waitConfirmed(t, base+4)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	for _, ev := range c.Events() {
		if ev.Head == 0 || ev.Head < ev.Ref.Number {
			t.Errorf("%s event %s with head %d", ev.Type, ev.Ref, ev.Head)
		}
		if d := ev.Head - ev.Ref.Number + 1; ev.Type == chains.Confirmed && d < 3 {
			t.Errorf("block %d confirmed at depth %d", ev.Ref.Number, d)
		}
	}
	if got := confirmedIn(t, n, c); !slices.Equal(got, numbers(base+1, base+4)) {
		t.Errorf("confirmed %v, want %d..%d at head %d with depth 3", got, base+1, base+4, base+6)
	}
}

// testConfirmedAcrossRestart: blocks delivered before a restart but not
// yet confirmed are confirmed after it, none skipped, none twice in a run;
// the first block confirmed again is where the backend says.
func testConfirmedAcrossRestart(t *testing.T, h Harness) {
	n := h.NewNode(t)
	base := n.Head(t).Number
	st := newStore(t)
	cfg := func() Config { return Config{Checkpoints: st.s, StartBlock: base + 1, Confirmations: 3} }
	c1 := newConsumer(t)
	r := start(t, n, cfg(), c1)
	for range 5 {
		n.Mine(t, 1)
		r.waitTip(t, n)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	before := confirmedIn(t, n, c1)
	st.reopen(t)
	n.Mine(t, 3)
	c2 := newConsumer(t)
	r = start(t, n, cfg(), c2)
	head := r.waitTip(t, n).Number
	r.waitConfirmed(t, head-2)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	after := confirmedIn(t, n, c2)
	if want := numbers(h.Reconfirmed(base+5, 3), head-2); !slices.Equal(after, want) {
		t.Errorf("confirmed after the restart %v, want %v (checkpoint %d, depth 3)", after, want, base+5)
	}
	for b := base + 1; b <= head-2; b++ {
		if !slices.Contains(before, b) && !slices.Contains(after, b) {
			t.Errorf("block %d never confirmed (before the restart %v, after %v)", b, before, after)
		}
	}
}

// testUnknownCheckpoint: a checkpoint the node has never seen (another
// network's, or a wiped node's) stops Run with an error naming it,
// instead of unwinding blindly; the checkpoint stays and nothing is
// delivered.
func testUnknownCheckpoint(t *testing.T, h Harness) {
	n := h.NewNode(t)
	n.Mine(t, 3)
	st := newStore(t)
	stranger := chains.BlockRef{Number: n.Head(t).Number, Hash: n.Unknown()}
	if err := st.s.SaveCheckpoint(context.Background(), h.Chain(), stranger); err != nil {
		t.Fatal(err)
	}
	c := newConsumer(t)
	r := start(t, n, Config{Checkpoints: st.s, StartBlock: 1}, c)
	err := r.stopped(t, "unknown checkpoint")
	if err == nil || !strings.Contains(err.Error(), stranger.Hash) {
		t.Fatalf("Run = %v, want an error naming the checkpoint %s", err, stranger.Hash)
	}
	h.CheckStop(t, ScenarioUnknownCheckpoint, err)
	if ck := checkpoint(t, h, st.s); ck.Hash != stranger.Hash {
		t.Fatalf("checkpoint changed to %s", ck)
	}
	if evs := c.Events(); len(evs) != 0 {
		t.Fatalf("%d events delivered", len(evs))
	}
}

// testWrongNetwork: a follower configured for another network than the
// node's stops with an error, delivering and saving nothing.
func testWrongNetwork(t *testing.T, h Harness) {
	n := h.NewNode(t)
	n.Mine(t, 1)
	st := newStore(t)
	c := newConsumer(t)
	r := start(t, n, Config{Checkpoints: st.s, StartBlock: 1, WrongNetwork: true}, c)
	err := r.stopped(t, "wrong network")
	if err == nil {
		t.Fatal("Run returned nil")
	}
	h.CheckStop(t, ScenarioWrongNetwork, err)
	if evs := c.Events(); len(evs) != 0 {
		t.Fatalf("%d events delivered", len(evs))
	}
	if ck, ok, _ := st.s.Checkpoint(context.Background(), h.Chain()); ok {
		t.Fatalf("checkpoint %s saved", ck)
	}
}

// testNodeVanishes: the node stops under a running follower, which says
// it is disconnected and keeps retrying; when the node is back it
// delivers what was mined, each block once.
func testNodeVanishes(t *testing.T, h Harness) {
	n := h.NewNode(t)
	base := n.Head(t).Number
	st := newStore(t)
	c := newConsumer(t)
	r := start(t, n, Config{Checkpoints: st.s, StartBlock: base + 1}, c)
	n.Mine(t, 2)
	r.waitTip(t, n)
	n.Stop(t)
	r.waitFor(t, "disconnected status", func() bool { return !r.f.Status().Connected })
	n.Start(t)
	n.Mine(t, 4)
	r.waitTip(t, n)
	// The handler sees the last block before the step that delivered it
	// returns and sets the status.
	r.waitFor(t, "connected status after the node returned", func() bool { return r.f.Status().Connected })
	if got, _ := c.Since(0); !slices.Equal(got, seq("+", base+1, base+6)) {
		t.Errorf("events %v, want %v", got, seq("+", base+1, base+6))
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
}

// testPendingThenConnected: a transaction sent to the node is delivered
// as Pending once, then in one Connected block, and never Pending again;
// a second one after the block proves the mempool is still watched.
func testPendingThenConnected(t *testing.T, h Harness) {
	n := h.NewNode(t)
	base := n.Head(t).Number
	st := newStore(t)
	c := newConsumer(t)
	r := start(t, n, Config{Checkpoints: st.s, StartBlock: base + 1, Mempool: true}, c)
	pendingOf := func(hash string) []int {
		var at []int
		for i, ev := range c.Events() {
			if ev.Type == chains.Pending && ev.Tx.Hash == hash {
				at = append(at, i)
			}
		}
		return at
	}
	// A block delivered first: the follower is up (a node that pushes
	// pending transactions sends only those that come after it
	// subscribed).
	n.Mine(t, 1)
	r.waitTip(t, n)
	p := n.Pay(t)
	r.waitFor(t, "pending "+p.Hash, func() bool { return len(pendingOf(p.Hash)) > 0 })
	if p.Check != nil {
		i := pendingOf(p.Hash)[0]
		ev, st := c.at(i)
		p.Check(t, ev, st)
	}
	n.Mine(t, 1)
	mined := r.waitTip(t, n)
	p2 := n.Pay(t)
	r.waitFor(t, "pending "+p2.Hash, func() bool { return len(pendingOf(p2.Hash)) > 0 })
	n.Mine(t, 1)
	r.waitTip(t, n)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if at := pendingOf(p.Hash); len(at) != 1 {
		t.Fatalf("%s reported Pending %d times, want once", p.Hash, len(at))
	}
	var connected, order []string
	for _, ev := range c.Events() {
		switch {
		case ev.Type == chains.Pending && ev.Tx.Hash == p.Hash:
			order = append(order, "pending")
		case ev.Type == chains.Connected:
			for _, tx := range ev.Block.Txs {
				if tx.Hash == p.Hash {
					connected = append(connected, ev.Ref.Hash)
					order = append(order, "connected")
				}
			}
		}
	}
	if len(connected) != 1 || connected[0] != mined.Hash || order[0] != "pending" {
		t.Fatalf("tx %s: connected in %v, order %v; want once in %s after pending", p.Hash, connected, order, mined)
	}
	if p.Stopped != nil {
		p.Stopped(t)
	}
}
