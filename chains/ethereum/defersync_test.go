package ethereum

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/ethereum/go-ethereum/core/types"
)

// syncLog is a checkpoint store that records, by block, whether the
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

// TestBackfillDefersSync: while behind the head, a block's handler and
// checkpoint get chains.DeferSync (its writes need not wait for the
// disk), but for the first block of the catch-up and the block at the
// head, which are synced and make everything before them durable; a
// block connected live is synced.
func TestBackfillDefersSync(t *testing.T) {
	sim := startSim(t, types.GenesisAlloc{})
	const blocks = 200
	for range blocks {
		sim.Commit()
	}
	cp := &syncLog{CheckpointStore: openStore(t, t.TempDir()), deferred: map[uint64]bool{}}
	var mu sync.Mutex
	handled := map[uint64]bool{}
	r := &recorder{}
	h := func(ctx context.Context, ev chains.Event) error {
		if ev.Type == chains.Connected {
			mu.Lock()
			handled[ev.Ref.Number] = chains.SyncDeferred(ctx)
			mu.Unlock()
		}
		return r.Handle(ctx, ev)
	}
	cfg := Config{Network: "dev", RPC: sim.WS, StartBlock: "1", Checkpoints: cp, Logger: testLogger(t), PollInterval: 50 * time.Millisecond}
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, h) }()
	defer func() { cancel(); <-done; f.Close() }()
	waitTip(t, r, sim)
	sim.Commit()
	waitTip(t, r, sim)

	cp.mu.Lock()
	defer cp.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	deferred := 0
	for n := uint64(1); n <= blocks+1; n++ {
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
	if cp.deferred[1] || cp.deferred[blocks] || cp.deferred[blocks+1] {
		t.Fatalf("deferred: first block %v, head %v, live block %v; want all synced", cp.deferred[1], cp.deferred[blocks], cp.deferred[blocks+1])
	}
	if deferred < blocks/2 {
		t.Fatalf("%d of %d backfilled blocks deferred their sync; want most", deferred, blocks)
	}
}
