package bitcoin

import (
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// TestFollowerBackfillInOrder: from genesis on a real btcd with 150 blocks,
// eight blocks in flight at a time are still delivered strictly in height
// order, each extending the last, each once, and every block at depth 6
// is confirmed exactly once.
func TestFollowerBackfillInOrder(t *testing.T) {
	node := testnodes.StartBtcd(t)
	node.Generate(t, 150)
	tip, height := node.Tip(t)
	cfg := nodeConfig(t, node, openStore(t, t.TempDir()))
	cfg.StartBlock = "0"
	cfg.BackfillConcurrency = 8
	cfg.Confirmations = 6
	r := startFollower(t, cfg, &recorder{})
	r.waitProcessed(t, tip.String())
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	var next uint64
	var parent string
	confirmed := map[uint64]int{}
	for _, ev := range r.rec.snapshot() {
		switch ev.Type {
		case chains.Connected:
			if ev.Ref.Number != next || (next > 0 && ev.Block.Ref.Parent != parent) {
				t.Fatalf("Connected %s after height %d/%s", ev.Ref, next-1, parent)
			}
			if ev.Block.Ref.Number == 0 && ev.Ref.Hash != node.Params.GenesisHash.String() {
				t.Fatalf("block 0 is %s, want genesis %s", ev.Ref.Hash, node.Params.GenesisHash)
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
	if next != uint64(height)+1 {
		t.Fatalf("delivered up to %d, want %d", next-1, height)
	}
	for h := uint64(0); h+6 <= uint64(height)+1; h++ {
		if confirmed[h] != 1 {
			t.Fatalf("block %d confirmed %d times, want once", h, confirmed[h])
		}
	}
	if len(confirmed) != int(height)+1-5 {
		t.Fatalf("%d blocks confirmed, want %d", len(confirmed), int(height)+1-5)
	}
}
