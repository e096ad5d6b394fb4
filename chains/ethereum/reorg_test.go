package ethereum

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

type bigInt = big.Int

func seq(sign string, from, to int) []string {
	var out []string
	step := 1
	if from > to {
		step = -1
	}
	for i := from; ; i += step {
		out = append(out, fmt.Sprintf("%s%d", sign, i))
		if i == to {
			return out
		}
	}
}

// TestReorgs switches the simulated chain's branch 1 and 10 blocks deep,
// over ws and over http, and checks the exact Disconnected/Connected
// sequence and the hashes of the new branch.
func TestReorgs(t *testing.T) {
	for _, transport := range []string{"ws", "http"} {
		t.Run(transport, func(t *testing.T) {
			sim := startSim(t, types.GenesisAlloc{})
			for range 5 {
				sim.Commit()
			}
			url := sim.WS
			if transport == "http" {
				url = sim.HTTP
			}
			r := &recorder{}
			startFollower(t, Config{Network: "dev", RPC: url, StartBlock: "1", Confirmations: 3, Traces: TracesAuto, Checkpoints: openStore(t, t.TempDir())}, r)
			waitTip(t, r, sim)
			if got, _ := r.since(0); !slices.Equal(got, seq("+", 1, 5)) {
				t.Fatalf("initial events %v", got)
			}
			for _, tc := range []struct {
				name  string
				depth int // blocks orphaned
				grow  int // blocks committed on the new branch
			}{
				{"1 deep", 1, 2},
				{"10 deep", 10, 11},
				{"10 deep, shorter new branch", 10, 3},
			} {
				t.Run(tc.name, func(t *testing.T) {
					for range tc.depth {
						sim.Commit() // make sure the old branch is deep enough
					}
					waitTip(t, r, sim)
					tip, oldHash := sim.headHash(t)
					ancestor := tip - uint64(tc.depth)
					mark := r.count()
					if err := sim.Fork(common.HexToHash(sim.hashAt(t, ancestor))); err != nil {
						t.Fatal(err)
					}
					for range tc.grow {
						sim.Commit()
					}
					if _, h := sim.headHash(t); h == oldHash {
						t.Fatal("fork produced the same head")
					}
					waitTip(t, r, sim)
					got, hashes := r.since(mark)
					want := append(seq("-", int(tip), int(ancestor)+1), seq("+", int(ancestor)+1, int(ancestor)+tc.grow)...)
					if !slices.Equal(got, want) {
						t.Fatalf("events %v, want %v", got, want)
					}
					for i, h := range hashes[tc.depth:] {
						if w := sim.hashAt(t, ancestor+1+uint64(i)); h != w {
							t.Errorf("connected block %d is %s, node has %s", ancestor+1+uint64(i), h, w)
						}
					}
				})
			}
			r.check(t)
		})
	}
}

// TestRestartMidStream stops the consumer in the middle of a backfill
// (its handler fails on one block), reorgs the chain while the follower
// is down, restarts it from the pebble checkpoint and checks that every
// canonical block was delivered exactly once, in order.
func TestRestartMidStream(t *testing.T) {
	sim := startSim(t, types.GenesisAlloc{})
	for range 40 {
		sim.Commit()
	}
	dir := t.TempDir()
	r := &recorder{failAt: 23}
	store := openStore(t, dir)
	run := startFollower(t, Config{Network: "dev", RPC: sim.HTTP, StartBlock: "1", BackfillConcurrency: 4, Checkpoints: store}, r)
	select {
	case err := <-run.done:
		run.done <- err
		if err == nil {
			t.Fatal("Run returned nil after the handler failed")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("follower did not stop on the handler's error")
	}
	ck, ok, err := store.Checkpoint(context.Background(), chains.Ethereum)
	if err != nil || !ok || ck.Number != 22 || ck.Hash != sim.hashAt(t, 22) {
		t.Fatalf("checkpoint after failure at 23: %+v ok=%v err=%v, want block 22", ck, ok, err)
	}
	run.stop(t)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	// While down: orphan 20..40 (below the checkpoint too) and grow a new
	// branch to 45.
	if err := sim.Fork(common.HexToHash(sim.hashAt(t, 19))); err != nil {
		t.Fatal(err)
	}
	for range 26 {
		sim.Commit()
	}
	mark := r.count()
	startFollower(t, Config{Network: "dev", RPC: sim.WS, StartBlock: "1", BackfillConcurrency: 3, Checkpoints: openStore(t, dir)}, r)
	waitTip(t, r, sim)
	got, _ := r.since(mark)
	want := append(seq("-", 22, 20), seq("+", 20, 45)...)
	if !slices.Equal(got, want) {
		t.Fatalf("after restart: %v, want %v", got, want)
	}
	r.check(t)
	// The consumer's chain is exactly the node's canonical chain 1..45.
	chain := r.contract.Chain()
	if len(chain) != 45 {
		t.Fatalf("consumer chain has %d blocks, want 45", len(chain))
	}
	for i, ref := range chain {
		if ref.Number != uint64(i+1) || ref.Hash != sim.hashAt(t, ref.Number) {
			t.Fatalf("consumer block %d: %s, node has %s", i+1, ref, sim.hashAt(t, uint64(i+1)))
		}
	}
}

// TestConfirmed checks that each block is confirmed once, when it reaches
// the configured depth, and Event.Head on every event.
func TestConfirmed(t *testing.T) {
	sim := startSim(t, types.GenesisAlloc{})
	r := &recorder{}
	startFollower(t, Config{Network: "dev", RPC: sim.WS, StartBlock: "1", Confirmations: 3, Checkpoints: openStore(t, t.TempDir())}, r)
	for range 6 {
		sim.Commit()
		waitTip(t, r, sim)
	}
	// Confirmed for block 4 follows Connected of block 6.
	testnodes.WaitFor(t, 10*time.Second, "confirmation of block 4", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		last := r.events[len(r.events)-1]
		return last.Type == chains.Confirmed && last.Ref.Number == 4
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	var confirmed []uint64
	for _, ev := range r.events {
		if ev.Type == chains.Confirmed {
			if d := ev.Head - ev.Ref.Number + 1; d < 3 {
				t.Errorf("block %d confirmed at depth %d", ev.Ref.Number, d)
			}
			confirmed = append(confirmed, ev.Ref.Number)
		}
		if ev.Head == 0 {
			t.Errorf("%v event without head", ev.Type)
		}
	}
	if !slices.Equal(confirmed, []uint64{1, 2, 3, 4}) {
		t.Errorf("confirmed %v, want [1 2 3 4] at head 6 with depth 3", confirmed)
	}
}

// TestConfirmedAcrossRestart: blocks delivered before a restart but not yet
// confirmed are confirmed after it, none skipped (the window held only the
// checkpoint, so the blocks just below it were never confirmed).
func TestConfirmedAcrossRestart(t *testing.T) {
	sim := startSim(t, types.GenesisAlloc{})
	dir := t.TempDir()
	cfg := func() Config {
		return Config{Network: "dev", RPC: sim.WS, StartBlock: "1", Confirmations: 3, Checkpoints: openStore(t, dir)}
	}
	r1 := &recorder{}
	c1 := cfg()
	run := startFollower(t, c1, r1)
	for range 5 {
		sim.Commit()
		waitTip(t, r1, sim)
	}
	run.stop(t)
	if err := c1.Checkpoints.(interface{ Close() error }).Close(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		sim.Commit()
	}
	r2 := &recorder{}
	startFollower(t, cfg(), r2)
	waitTip(t, r2, sim)
	testnodes.WaitFor(t, 10*time.Second, "confirmation of block 6", func() bool {
		r2.mu.Lock()
		defer r2.mu.Unlock()
		for _, ev := range r2.events {
			if ev.Type == chains.Confirmed && ev.Ref.Number == 6 {
				return true
			}
		}
		return false
	})
	r2.mu.Lock()
	defer r2.mu.Unlock()
	var confirmed []uint64
	for _, ev := range r2.events {
		if ev.Type == chains.Confirmed {
			if ev.Ref.Hash != sim.hashAt(t, ev.Ref.Number) {
				t.Errorf("confirmed block %d as %s, node has %s", ev.Ref.Number, ev.Ref.Hash, sim.hashAt(t, ev.Ref.Number))
			}
			confirmed = append(confirmed, ev.Ref.Number)
		}
	}
	// Checkpoint 5 at depth 3: 3 may not have been confirmed before the
	// stop, so 3 onward, up to 6 at head 8.
	if !slices.Equal(confirmed, []uint64{3, 4, 5, 6}) {
		t.Errorf("confirmed after the restart %v, want [3 4 5 6]", confirmed)
	}
}
