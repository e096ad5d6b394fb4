package chainstest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/store/pebble"
)

// Run runs the follower scenarios on h's backend, each as a subtest on
// its own node: the same list for every backend, as lnd's
// chainntnfs/test runs one suite per notifier. Every event a consumer
// acknowledges is checked against the Contract as well.
func Run(t *testing.T, h Harness) {
	for _, sc := range []struct {
		name string
		run  func(t *testing.T, h Harness)
	}{
		{ScenarioReorg, testReorg},
		{ScenarioRestartMidBackfill, testRestartMidBackfill},
		{ScenarioRestartMidUnwind, testRestartMidUnwind},
		{ScenarioBackfillInOrder, testBackfillInOrder},
		{ScenarioConfirmed, testConfirmed},
		{ScenarioConfirmedRestart, testConfirmedAcrossRestart},
		{ScenarioUnknownCheckpoint, testUnknownCheckpoint},
		{ScenarioWrongNetwork, testWrongNetwork},
		{ScenarioNodeVanishes, testNodeVanishes},
		{ScenarioPendingThenConnected, testPendingThenConnected},
	} {
		t.Run(sc.name, func(t *testing.T) {
			if why := h.Skip(sc.name); why != "" {
				t.Skip(why)
			}
			sc.run(t, h)
		})
	}
}

func newConsumer(t *testing.T) *Recorder {
	c := &Recorder{}
	c.CheckAtEnd(t)
	return c
}

// seq is "+from".."+to" (sign "+") or "-from".."-to", counting down when
// from > to.
func seq(sign string, from, to uint64) []string {
	var out []string
	for i := from; ; {
		out = append(out, fmt.Sprintf("%s%d", sign, i))
		switch {
		case i == to:
			return out
		case from > to:
			i--
		default:
			i++
		}
	}
}

func numbers(from, to uint64) []uint64 {
	var out []uint64
	for n := from; n <= to; n++ {
		out = append(out, n)
	}
	return out
}

// running is a follower running in the background for a consumer.
type running struct {
	f      Follower
	c      *Recorder
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error // Run's result, once done is closed
}

// start runs a follower of n for cfg, delivering to c, until the test
// ends or stop.
func start(t *testing.T, n Node, cfg Config, c *Recorder) *running {
	t.Helper()
	f := n.Follow(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{f: f, c: c, cancel: cancel, done: make(chan error)}
	c.mu.Lock()
	c.status = f.Status
	c.mu.Unlock()
	c.Restart() // nothing to forget for a new consumer
	go func() { r.err = f.Run(ctx, c.Handle); close(r.done) }()
	t.Cleanup(func() {
		// No follower outlives its test.
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Error("follower did not stop within 30s of cancel")
		}
		r.close()
	})
	return r
}

func (r *running) close() { r.once.Do(r.f.Close) }

// stop cancels Run and returns its error (nil when it stopped on cancel).
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		t.Fatal("follower did not stop within 30s of cancel")
	}
	r.close()
	if errors.Is(r.err, context.Canceled) {
		return nil
	}
	return r.err
}

// stopped waits for Run to return on its own and returns its error.
func (r *running) stopped(t *testing.T, why string) error {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("follower did not stop (%s) within 30s", why)
	}
	r.close()
	return r.err
}

// waitFor waits for cond, failing early if Run returned.
func (r *running) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		select {
		case <-r.done:
			t.Fatalf("follower stopped while waiting for %s: %v", what, r.err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			got, _ := r.c.Since(0)
			t.Fatalf("timed out waiting for %s; events: %s", what, strings.Join(got, " "))
		}
	}
}

// waitTip waits until the consumer's tip is the node's head.
func (r *running) waitTip(t *testing.T, n Node) chains.BlockRef {
	t.Helper()
	head := n.Head(t)
	r.waitFor(t, fmt.Sprintf("consumer tip at node head %s", head), func() bool {
		tip := r.c.Tip()
		return tip.Number == head.Number && tip.Hash == head.Hash
	})
	return head
}

// OpenStore opens the pebble store in dir, a checkpoint store as the
// daemon's.
func OpenStore(t *testing.T, dir string) *pebble.Store {
	t.Helper()
	s, err := pebble.Open(dir)
	if err != nil {
		t.Fatalf("open pebble store: %v", err)
	}
	return s
}

// store is a pebble checkpoint store in a directory of its own, closed
// when the test ends.
type store struct {
	dir string
	s   *pebble.Store
}

func newStore(t *testing.T) *store {
	st := &store{dir: t.TempDir()}
	st.s = OpenStore(t, st.dir)
	t.Cleanup(func() { st.s.Close() })
	return st
}

// reopen closes the store and opens it again, as a restarted daemon
// does.
func (st *store) reopen(t *testing.T) {
	t.Helper()
	if err := st.s.Close(); err != nil {
		t.Fatal(err)
	}
	st.s = OpenStore(t, st.dir)
}

func checkpoint(t *testing.T, h Harness, s chains.CheckpointStore) chains.BlockRef {
	t.Helper()
	ref, ok, err := s.Checkpoint(context.Background(), h.Chain())
	if err != nil || !ok {
		t.Fatalf("checkpoint: ok=%v err=%v", ok, err)
	}
	return ref
}

// checkHashes checks that the Connected hashes of a run starting at
// block first are the node's canonical ones.
func checkHashes(t *testing.T, n Node, first uint64, hashes []string) {
	t.Helper()
	for i, h := range hashes {
		if w := n.HashAt(t, first+uint64(i)); h != w {
			t.Errorf("connected block %d is %s, node has %s", first+uint64(i), h, w)
		}
	}
}

// checkChain checks that the consumer's chain from block first is the
// node's canonical chain up to its head.
func checkChain(t *testing.T, n Node, c *Recorder, first uint64) {
	t.Helper()
	head := n.Head(t)
	var chain []chains.BlockRef
	for _, ref := range c.Chain() {
		if ref.Number >= first {
			chain = append(chain, ref)
		}
	}
	if uint64(len(chain)) != head.Number-first+1 {
		t.Fatalf("consumer chain holds %d blocks from %d, want %d", len(chain), first, head.Number-first+1)
	}
	for i, ref := range chain {
		if want := first + uint64(i); ref.Number != want || ref.Hash != n.HashAt(t, want) {
			t.Fatalf("consumer block %d: %s, node has %s", want, ref, n.HashAt(t, want))
		}
	}
}
