package bitcoin

import (
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
)

func strs(prefix string, hs []chainhash.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = prefix + h.String()
	}
	return out
}

// TestFollowerReorgAcrossRestart uses two real btcd nodes kept apart, each
// mining its own branch, then connected so the follower's node switches to
// the longer one. The follower is stopped before the switch and restarted
// after it, refuses one event in the middle of the unwinding (so it stops
// again) and is restarted once more: across the three runs the
// acknowledged Connected/Disconnected sequence must be exact, with nothing
// skipped or repeated. A second switch happens while it runs.
func TestFollowerReorgAcrossRestart(t *testing.T) {
	a := testnodes.StartBtcd(t)
	seed := sha256.Sum256([]byte("chainhound other miner"))
	other, _ := btcec.PrivKeyFromBytes(seed[:])
	b := testnodes.StartBtcd(t, testnodes.WithBtcdKey(other))

	common := a.Generate(t, 3)
	b.Connect(t, a)
	b.Disconnect(t, a)

	dir := t.TempDir()
	store := openStore(t, dir)
	cfg := nodeConfig(t, a, store)
	cfg.StartBlock = "1"
	cfg.BackfillConcurrency = 2
	run1 := startFollower(t, cfg, &recorder{})
	branchA := a.Generate(t, 2)
	run1.waitProcessed(t, branchA[1].String())
	if err := run1.stop(t); err != nil {
		t.Fatalf("run 1: %v", err)
	}
	want1 := append(strs("C:", common), strs("C:", branchA)...)
	if got := blockEvents(run1.rec.snapshot()); !reflect.DeepEqual(got, want1) {
		t.Fatalf("run 1 events\n got %v\nwant %v", got, want1)
	}
	store.Close()

	// While the follower is down, b mines a longer branch and a adopts it.
	branchB := b.Generate(t, 4)
	a.Connect(t, b)
	if tip, _ := a.Tip(t); tip != branchB[3] {
		t.Fatalf("node a tip %s, want b's %s", tip, branchB[3])
	}

	// Run 2 refuses the second Disconnected: it must stop with that error,
	// having acknowledged only the first.
	store = openStore(t, dir)
	cfg.Checkpoints = store
	refused := errors.New("consumer busy")
	rec2 := &recorder{refuse: func(ev chains.Event) error {
		if ev.Type == chains.Disconnected && ev.Ref.Hash == branchA[0].String() {
			return refused
		}
		return nil
	}}
	run2 := startFollower(t, cfg, rec2)
	select {
	case err := <-run2.done:
		if !errors.Is(err, refused) || !strings.Contains(err.Error(), "disconnected") {
			t.Fatalf("run 2 stopped with %v, want the handler's error", err)
		}
	case <-t.Context().Done():
		t.Fatal("run 2 did not stop")
	}
	run2.f.Close()
	if got, want := blockEvents(rec2.snapshot()), strs("D:", branchA[1:]); !reflect.DeepEqual(got, want) {
		t.Fatalf("run 2 events\n got %v\nwant %v", got, want)
	}
	d := rec2.snapshot()[0]
	if d.Block == nil || d.Block.Ref.Number != 5 || d.Ref.Hash != branchA[1].String() || len(d.Block.Txs) != 1 {
		t.Fatalf("Disconnected event carries %+v", d.Ref)
	}
	store.Close()

	// Run 3 resumes in the middle of the unwinding.
	store = openStore(t, dir)
	cfg.Checkpoints = store
	run3 := startFollower(t, cfg, &recorder{})
	run3.waitProcessed(t, branchB[3].String())
	want3 := append(strs("D:", branchA[:1]), strs("C:", branchB)...)
	if got := blockEvents(run3.rec.snapshot()); !reflect.DeepEqual(got, want3) {
		t.Fatalf("run 3 events\n got %v\nwant %v", got, want3)
	}

	// A switch while running: a mines one block alone, b three.
	a.Disconnect(t, b)
	a8 := a.Generate(t, 1)
	run3.waitProcessed(t, a8[0].String())
	b8 := b.Generate(t, 3)
	a.Connect(t, b)
	run3.waitProcessed(t, b8[2].String())
	want3 = append(want3, "C:"+a8[0].String(), "D:"+a8[0].String())
	want3 = append(want3, strs("C:", b8)...)
	if got := blockEvents(run3.rec.snapshot()); !reflect.DeepEqual(got, want3) {
		t.Fatalf("run 3 events after the live switch\n got %v\nwant %v", got, want3)
	}
	// Every Connected block extends the one before it.
	var prev string
	for _, ev := range run3.rec.snapshot() {
		switch ev.Type {
		case chains.Connected:
			if prev != "" && ev.Block.Ref.Parent != prev {
				t.Fatalf("Connected %s does not extend %s", ev.Ref, prev)
			}
			prev = ev.Ref.Hash
		case chains.Disconnected:
			prev = ev.Block.Ref.Parent
		}
	}
	if err := run3.stop(t); err != nil {
		t.Fatalf("run 3: %v", err)
	}
}
