package bitcoin

import (
	"context"
	"sync"
	"testing"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/internal/testnodes"
)

// syncLog is a checkpoint store that records, by height, whether the
// checkpoint was saved with chains.DeferSync.
type syncLog struct {
	chains.CheckpointStore
	mu       sync.Mutex
	deferred map[uint64]bool
}

func (s *syncLog) SaveCheckpoint(ctx context.Context, c chains.Chain, ref chains.BlockRef) error {
	s.mu.Lock()
	s.deferred[ref.Number] = chains.SyncDeferred(ctx)
	s.mu.Unlock()
	return s.CheckpointStore.SaveCheckpoint(ctx, c, ref)
}

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
	cp := &syncLog{CheckpointStore: openStore(t, t.TempDir()), deferred: map[uint64]bool{}}
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

	cp.mu.Lock()
	defer cp.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	deferred := 0
	for n := range blocks + 2 {
		d, ok := cp.deferred[n]
		if !ok {
			t.Fatalf("no checkpoint of block %d", n)
		}
		if handled[n] != d {
			t.Fatalf("block %d: handler deferred %v, checkpoint deferred %v", n, handled[n], d)
		}
		if d {
			deferred++
		}
	}
	if cp.deferred[0] || cp.deferred[blocks] || cp.deferred[blocks+1] {
		t.Fatalf("deferred: first block %v, head %v, live block %v; want all synced", cp.deferred[0], cp.deferred[blocks], cp.deferred[blocks+1])
	}
	if deferred < int(blocks/2) {
		t.Fatalf("%d of %d backfilled blocks deferred their sync; want most", deferred, blocks)
	}
	if confirmedDeferred != 0 {
		t.Fatalf("%d confirmations delivered with a deferred sync; want none", confirmedDeferred)
	}
}
