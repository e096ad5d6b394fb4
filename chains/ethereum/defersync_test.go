package ethereum

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/chains/chainstest"
	"github.com/ethereum/go-ethereum/core/types"
)

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
	cp := chainstest.NewSyncLog(openStore(t, t.TempDir()))
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

	mu.Lock()
	defer mu.Unlock()
	cp.CheckBackfill(t, handled, 1, blocks)
}
