package bitcoin

import (
	"context"
	"sync"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/chainstest"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// TestBackfillDefersSync (decision 0019, as on Ethereum): from genesis on
// a real btcd with 150 blocks, a block behind the head is delivered and
// checkpointed with chains.DeferSync, but for the first block of the
// catch-up and the block at the head, which are synced and make every
// write before them durable; a block connected live is synced, and so is
// every Confirmed.
func TestBackfillDefersSync(t *testing.T) {
	node := testnodes.StartBtcd(t)
	node.Generate(t, 150)
	tip, height := node.Tip(t)
	blocks := uint64(height)
	cp := chainstest.NewSyncLog(openStore(t, t.TempDir()))
	cfg := nodeConfig(t, node, cp)
	cfg.StartBlock = "0"
	var mu sync.Mutex
	handled, confirmedDeferred := map[uint64]bool{}, 0
	rec := &recorder{}
	cfg.Checkpoints = cp
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- f.Run(ctx, func(ctx context.Context, ev chains.Event) error {
			mu.Lock()
			switch ev.Type {
			case chains.Connected:
				handled[ev.Ref.Number] = chains.SyncDeferred(ctx)
			case chains.Confirmed:
				if chains.SyncDeferred(ctx) {
					confirmedDeferred++
				}
			}
			mu.Unlock()
			return rec.Handle(ctx, ev)
		})
	}()
	defer func() { cancel(); <-done; f.Close() }()
	r := &running{f: f, rec: rec, cancel: cancel, done: done}
	r.waitProcessed(t, tip.String())
	node.Generate(t, 1)
	live, _ := node.Tip(t)
	r.waitProcessed(t, live.String())

	mu.Lock()
	defer mu.Unlock()
	cp.CheckBackfill(t, handled, 0, blocks)
	if confirmedDeferred != 0 {
		t.Fatalf("%d confirmations delivered with a deferred sync; want none", confirmedDeferred)
	}
}
